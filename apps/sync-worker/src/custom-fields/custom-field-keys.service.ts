import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { LocationCustomField } from '@sm/entities';
import { GhlApiError } from '@sm/ghl-client';
import type { LocationApi } from '@sm/ghl-client';

import { describeError } from '../failures/job-errors';

/** Field id → field key (`contact.roof_type`) for one location. */
export type FieldKeys = ReadonlyMap<string, string>;

/**
 * Ids that a reload did not find either (fields deleted in GHL, or ones it lists late) ask GHL
 * again at most this often; so does a location whose definitions GHL will not tell us (no
 * `locations/customFields.readonly`). An id never looked for asks at once.
 */
const RELOAD_FOR_A_MISSING_ID_EVERY_MS = 60_000;

interface CachedKeys {
  keys: Map<string, string>;
  loadedAt: number;
  /** Ids looked for within the minute since `loadedAt` that the definitions did not have. */
  missing: Set<string>;
  /** GHL refused the last reload: no new id asks again before the minute is over. */
  refused: boolean;
}

/**
 * The location's custom field definitions, so that values can be stored by key as well as by
 * id. Kept in this process and in `location_custom_fields`; read from GHL on first use and again
 * when a contact carries an id the definitions do not know (a field added in GHL since). Batches
 * of one location that need a reload at once share it.
 */
@Injectable()
export class CustomFieldKeys {
  private readonly logger = new Logger(CustomFieldKeys.name);
  private readonly cache = new Map<string, CachedKeys>();
  private readonly reloading = new Map<string, Promise<FieldKeys | null>>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The keys for these field ids, reloading the definitions when one is unknown: at once for an
   * id not looked for yet (a field added in GHL since), at most once a minute for ids already
   * looked for, and for a location GHL refused the definitions of.
   */
  async forFieldIds(api: LocationApi, fieldIds: Iterable<string>): Promise<FieldKeys> {
    const cached = this.cache.get(api.locationId) ?? (await this.fromDatabase(api.locationId));
    if (!cached) return (await this.sharedReload(api, fieldIds)) ?? new Map();

    const unknown = [...fieldIds].filter((id) => !cached.keys.has(id));
    const isStale = Date.now() - cached.loadedAt > RELOAD_FOR_A_MISSING_ID_EVERY_MS;
    const hasNewUnknown = !cached.refused && unknown.some((id) => !cached.missing.has(id));
    if (unknown.length === 0 || !(hasNewUnknown || isStale)) return cached.keys;

    return (await this.sharedReload(api, unknown)) ?? cached.keys;
  }

  /** One reload per location at a time: a batch that needs one while it runs waits for it. */
  private sharedReload(api: LocationApi, wanted: Iterable<string>): Promise<FieldKeys | null> {
    const { locationId } = api;
    let reload = this.reloading.get(locationId);
    if (!reload) {
      reload = this.reload(api, wanted).finally(() => this.reloading.delete(locationId));
      this.reloading.set(locationId, reload);
    }

    return reload;
  }

  /**
   * Reads the definitions from GHL and stores them; null when GHL will not tell us. `wanted`
   * are the ids the caller looks for: those GHL does not list either are remembered as missing.
   */
  async reload(api: LocationApi, wanted: Iterable<string> = []): Promise<FieldKeys | null> {
    const { locationId } = api;
    let fields: { id?: string; fieldKey?: string; name?: string; dataType?: string }[];
    try {
      fields = (await api.listCustomFields()).customFields ?? [];
    } catch (error) {
      if (!(error instanceof GhlApiError) || error.isTransient) throw error;
      // Without locations/customFields.readonly values are still stored by id.
      this.logger.warn({ locationId, error: describeError(error) }, 'custom fields unreadable');
      const keys = this.cache.get(locationId)?.keys ?? new Map<string, string>();
      const missing = this.stillMissing(locationId, keys, wanted);
      this.cache.set(locationId, { keys, loadedAt: Date.now(), missing, refused: true });

      return null;
    }
    const loadedAt = new Date();
    const rows = fields
      .filter((field) => typeof field.id === 'string' && typeof field.fieldKey === 'string')
      .map((field) => ({
        locationId,
        id: field.id as string,
        fieldKey: field.fieldKey as string,
        name: field.name ?? null,
        dataType: field.dataType ?? null,
        loadedAt,
      }));
    if (rows.length > 0)
      await this.dataSource.getRepository(LocationCustomField).upsert(rows, ['locationId', 'id']);
    const keys = new Map(rows.map((row) => [row.id, row.fieldKey]));
    const missing = this.stillMissing(locationId, keys, wanted);
    this.cache.set(locationId, { keys, loadedAt: loadedAt.getTime(), missing, refused: false });

    return keys;
  }

  /**
   * The ids looked for within the last minute, this reload's too, that the definitions lack:
   * those of the reload before stay, or two such ids on alternate batches would each reload.
   */
  private stillMissing(locationId: string, keys: FieldKeys, wanted: Iterable<string>) {
    const cached = this.cache.get(locationId);
    const isRecent =
      cached !== undefined && Date.now() - cached.loadedAt <= RELOAD_FOR_A_MISSING_ID_EVERY_MS;
    const lookedFor = [...(isRecent ? cached.missing : []), ...wanted];

    return new Set(lookedFor.filter((id) => !keys.has(id)));
  }

  private async fromDatabase(locationId: string): Promise<CachedKeys | undefined> {
    const rows = await this.dataSource.getRepository(LocationCustomField).findBy({ locationId });
    if (rows.length === 0) return undefined;

    const loadedAt = Math.max(...rows.map((row) => row.loadedAt.getTime()));
    const keys = new Map(rows.map((row) => [row.id, row.fieldKey]));
    const cached = { keys, loadedAt, missing: new Set<string>(), refused: false };
    this.cache.set(locationId, cached);

    return cached;
  }
}

/** The custom field ids a batch of GHL contacts carries. */
export function fieldIdsOf(contacts: { customFields?: unknown }[]): Set<string> {
  const ids = new Set<string>();
  for (const contact of contacts) {
    if (!Array.isArray(contact.customFields)) continue;
    for (const field of contact.customFields as { id?: unknown }[]) {
      if (typeof field?.id === 'string') ids.add(field.id);
    }
  }

  return ids;
}
