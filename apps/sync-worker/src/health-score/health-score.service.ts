import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import {
  ContactHealthScore,
  ContactHealthScoreHistory,
  HealthScoreSettings as HealthScoreSettingsRow,
} from '@sm/entities';

import { chunks } from '../records/chunks';
import { computeHealthScore, HealthScore, HealthScoreInputs } from './health-score.calculator';
import { loadHealthScoreInputs } from './health-score-inputs';
import { STORE_CHANGED_SCORES, STORE_CURRENT_SCORES } from './health-score-statements';
import {
  HealthScoreSettings,
  resolveHealthScoreSettings,
  storedHealthScoreSettings,
} from './health-score-settings';

import { jsonbParameter } from '@sm/platform';

/** What recomputed a score. */
export type HealthScoreTrigger = 'sync' | 'refresh' | 'settings';

const LOCATION_BATCH = 500;

/**
 * Scores contacts from SolarMarket's records and keeps the current score and its history. A
 * recompute with unchanged inputs changes nothing but `computed_at`, so replayed events are
 * harmless: history gets a row only when the score or a factor's points moved.
 */
@Injectable()
export class HealthScoreService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Rescores contacts of one location; a contact deleted (or unknown) loses its score. A batch is
   * written in one transaction of a few statements whatever its size, so a location's rescore
   * costs Postgres a few statements per batch rather than three per contact.
   */
  async recomputeContacts(
    locationId: string,
    contactIds: string[],
    trigger: HealthScoreTrigger,
    now = new Date(),
  ): Promise<void> {
    // A contact listed twice would have the upsert touch its row twice, which Postgres refuses.
    // Each statement takes a batch as one array or JSON parameter, so the parameter limit is
    // never near; the batch size bounds how long one transaction holds its locks.
    for (const batch of chunks([...new Set(contactIds)], LOCATION_BATCH)) {
      await this.rescoreLocked(locationId, batch, { trigger, now }, async (manager, settings) => {
        const inputs = await loadHealthScoreInputs(manager, locationId, batch, now);

        return scoreBatch(batch, inputs, settings, now);
      });
    }
  }

  /**
   * Rescores every live contact of a location, in batches, then takes the scores of its deleted
   * contacts away (a full sync's tombstones reach the scores only through this).
   */
  async recomputeLocation(locationId: string, trigger: HealthScoreTrigger): Promise<number> {
    let after = '';
    let count = 0;
    for (;;) {
      const rows: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM contacts WHERE location_id = $1 AND deleted_at IS NULL AND id > $2
         ORDER BY id LIMIT $3`,
        [locationId, after, LOCATION_BATCH],
      );
      if (rows.length === 0) break;

      await this.recomputeContacts(
        locationId,
        rows.map((row) => row.id),
        trigger,
      );
      count += rows.length;
      after = rows[rows.length - 1].id;
    }
    await this.forgetScoresOfDeletedContacts(locationId);

    return count;
  }

  /**
   * Scores a contact whose own fields come from elsewhere (GHL, on a refresh) with the stored
   * tasks, notes and appointments.
   */
  async scoreWithContact(
    locationId: string,
    contactId: string,
    contact: Pick<HealthScoreInputs, 'email' | 'phone' | 'dnd' | 'tags'>,
    trigger: HealthScoreTrigger,
    now = new Date(),
  ): Promise<HealthScore | null> {
    const batch = await this.rescoreLocked(
      locationId,
      [contactId],
      { trigger, now },
      async (manager, settings) => {
        const stored = await loadHealthScoreInputs(manager, locationId, [contactId], now);
        const children = stored.get(contactId);
        // Deleted meanwhile (a tombstone that landed while GHL was asked): no score.
        if (!children) return { scored: [], gone: [contactId] };

        const score = computeHealthScore({ ...children, ...contact }, settings, now);

        return { scored: [{ contactId, ...score }], gone: [] };
      },
    );

    return batch.scored[0] ?? null;
  }

  settingsFor(locationId: string): Promise<HealthScoreSettings> {
    return settingsIn(this.dataSource.manager, locationId);
  }

  /**
   * Validates and stores a location's settings, then rescores its contacts with them. No
   * override (`undefined`) stores the defaults; anything not an object is a ZodError.
   */
  async saveSettings(locationId: string, override: unknown): Promise<HealthScoreSettings> {
    const settings = resolveHealthScoreSettings(override);
    await this.dataSource.query(
      `INSERT INTO health_score_settings (location_id, settings, updated_at)
       VALUES ($1, $2::jsonb, now())
       ON CONFLICT (location_id) DO UPDATE SET settings = excluded.settings, updated_at = now()`,
      [locationId, jsonbParameter(override ?? {})],
    );
    await this.recomputeLocation(locationId, 'settings');

    return settings;
  }

  current(locationId: string, contactId: string): Promise<ContactHealthScore | null> {
    return this.dataSource.getRepository(ContactHealthScore).findOneBy({ locationId, contactId });
  }

  history(locationId: string, contactId: string, limit: number) {
    return this.dataSource.getRepository(ContactHealthScoreHistory).find({
      where: { locationId, contactId },
      order: { computedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  /**
   * One batch in one transaction: the batch's locks first, then the settings and the records it
   * is scored from, then its writes. Read under the locks, they are the latest committed, so
   * that of two rescores of a contact the later writes the later state: read before, a settings
   * save's rescore could commit before one that had read the old weights, whose scores then
   * stood against the stored settings until the next location event.
   */
  private rescoreLocked(
    locationId: string,
    contactIds: string[],
    { trigger, now }: { trigger: HealthScoreTrigger; now: Date },
    score: (manager: EntityManager, settings: HealthScoreSettings) => Promise<ScoredBatch>,
  ): Promise<ScoredBatch> {
    return this.dataSource.transaction(async (manager) => {
      await lockContacts(manager, locationId, contactIds);
      const batch = await score(manager, await settingsIn(manager, locationId));

      await storeBatch(manager, locationId, batch, { trigger, now });

      return batch;
    });
  }

  /** Holding every lock stripe of the location, so that no batch rescores one meanwhile. */
  private forgetScoresOfDeletedContacts(locationId: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await lockLocation(manager, locationId);
      await manager.query(
        `DELETE FROM contact_health_scores s
         WHERE s.location_id = $1 AND NOT EXISTS (
           SELECT 1 FROM contacts c
           WHERE c.location_id = s.location_id AND c.id = s.contact_id AND c.deleted_at IS NULL)`,
        [locationId],
      );
    });
  }
}

async function settingsIn(
  manager: EntityManager,
  locationId: string,
): Promise<HealthScoreSettings> {
  const row = await manager.getRepository(HealthScoreSettingsRow).findOneBy({ locationId });

  return storedHealthScoreSettings(row?.settings ?? {});
}

async function storeBatch(
  manager: EntityManager,
  locationId: string,
  { scored, gone }: ScoredBatch,
  { trigger, now }: { trigger: HealthScoreTrigger; now: Date },
): Promise<void> {
  if (gone.length > 0) await forgetScores(manager, locationId, gone);
  if (scored.length === 0) return;

  const rows = jsonbParameter(
    scored.map(({ contactId, score, factors }) => ({ contact_id: contactId, score, factors })),
  );
  const values = [locationId, rows, trigger, now];
  await manager.query(STORE_CHANGED_SCORES, values);
  await manager.query(STORE_CURRENT_SCORES, values);
}

/** A batch's new scores, and the contacts of it that no longer have one. */
interface ScoredBatch {
  scored: (HealthScore & { contactId: string })[];
  gone: string[];
}

/** Scores the batch's live contacts, in the order given; the others have no inputs. */
function scoreBatch(
  contactIds: string[],
  inputs: Map<string, HealthScoreInputs>,
  settings: HealthScoreSettings,
  now: Date,
): ScoredBatch {
  const batch: ScoredBatch = { scored: [], gone: [] };
  for (const contactId of contactIds) {
    const contactInputs = inputs.get(contactId);
    if (contactInputs) {
      batch.scored.push({ contactId, ...computeHealthScore(contactInputs, settings, now) });
    } else {
      batch.gone.push(contactId);
    }
  }

  return batch;
}

/** Lock stripes per location: a batch holds at most this many advisory locks. */
const LOCK_STRIPES = 64;

/**
 * Two recomputes of one contact at once would both see "changed" and write history twice, so
 * each holds its contact's lock until it commits: one of LOCK_STRIPES per location, picked by
 * the contact id, so that a batch of 500 takes at most 64 of Postgres' lock table slots
 * (max_locks_per_transaction × max_connections, 6,400 by default; a breaker ran it out with
 * 25 batches at once holding a lock per contact). The locks are taken in stripe order (Postgres
 * evaluates the volatile lock calls after the sort), so overlapping batches queue behind each
 * other instead of deadlocking.
 */
function lockContacts(manager: EntityManager, locationId: string, contactIds: string[]) {
  return manager.query(
    `SELECT pg_advisory_xact_lock(hashtext($1), stripe)
     FROM (SELECT DISTINCT abs(hashtext(id) % $3) AS stripe
           FROM unnest($2::text[]) AS id) AS stripes
     ORDER BY stripe`,
    [`health-score:${locationId}`, contactIds, LOCK_STRIPES],
  );
}

/** Every stripe of the location, in the order `lockContacts` takes them. */
function lockLocation(manager: EntityManager, locationId: string) {
  return manager.query(
    `SELECT pg_advisory_xact_lock(hashtext($1), stripe)
     FROM generate_series(0, $2 - 1) AS stripe ORDER BY stripe`,
    [`health-score:${locationId}`, LOCK_STRIPES],
  );
}

function forgetScores(manager: EntityManager, locationId: string, contactIds: string[]) {
  return manager.query(
    'DELETE FROM contact_health_scores WHERE location_id = $1 AND contact_id = ANY($2::varchar[])',
    [locationId, contactIds],
  );
}
