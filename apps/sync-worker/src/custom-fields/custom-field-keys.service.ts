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
 * An id that a reload did not find either (a field deleted in GHL, or one it lists late) asks
 * GHL again at most this often. An id never looked for asks at once.
 */
const RELOAD_FOR_A_MISSING_ID_EVERY_MS = 60_000;

interface CachedKeys {
  keys: Map<string, string>;
  loadedAt: number;
  /** Ids the last reload was asked for and did not find. */
  missing: Set<string>;
}

/**
 * The location's custom field definitions, so that values can be stored by key as well as by
 * id. Kept in this process and in `location_custom_fields`; read from GHL on first use and again
 * when a contact carries an id the definitions do not know (a field added in GHL since).
 */
@Injectable()
export class CustomFieldKeys {
  private readonly logger = new Logger(CustomFieldKeys.name);
  private readonly cache = new Map<string, CachedKeys>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The keys for these field ids, reloading the definitions when one is unknown: at once for an
   * id not looked for yet (a field added in GHL since), at most once a minute for one that the
   * last reload did not find either.
   */
  async forFieldIds(api: LocationApi, fieldIds: Iterable<string>): Promise<FieldKeys> {
    const cached = this.cache.get(api.locationId) ?? (await this.fromDatabase(api.locationId));
    if (!cached) return (await this.reload(api, fieldIds)) ?? new Map();

    const unknown = [...fieldIds].filter((id) => !cached.keys.has(id));
    const hasNewUnknown = unknown.some((id) => !cached.missing.has(id));
    const isStale = Date.now() - cached.loadedAt > RELOAD_FOR_A_MISSING_ID_EVERY_MS;
    if (unknown.length === 0 || !(hasNewUnknown || isStale)) return cached.keys;

    return (await this.reload(api, unknown)) ?? cached.keys;
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
      this.cache.set(locationId, {
        keys,
        loadedAt: Date.now(),
        missing: missingFrom(keys, wanted),
      });

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
    const missing = missingFrom(keys, wanted);
    this.cache.set(locationId, { keys, loadedAt: loadedAt.getTime(), missing });

    return keys;
  }

  private async fromDatabase(locationId: string): Promise<CachedKeys | undefined> {
    const rows = await this.dataSource.getRepository(LocationCustomField).findBy({ locationId });
    if (rows.length === 0) return undefined;

    const loadedAt = Math.max(...rows.map((row) => row.loadedAt.getTime()));
    const keys = new Map(rows.map((row) => [row.id, row.fieldKey]));
    const cached = { keys, loadedAt, missing: new Set<string>() };
    this.cache.set(locationId, cached);

    return cached;
  }
}

function missingFrom(keys: FieldKeys, wanted: Iterable<string>): Set<string> {
  return new Set([...wanted].filter((id) => !keys.has(id)));
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
