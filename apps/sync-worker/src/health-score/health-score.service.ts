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
import { HealthScoreSettings, resolveHealthScoreSettings } from './health-score-settings';

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
    const settings = await this.settingsFor(locationId);
    // A contact listed twice would have the upsert touch its row twice, which Postgres refuses.
    // Each statement takes a batch as one array or JSON parameter, so the parameter limit is
    // never near; the batch size bounds how long one transaction holds its locks.
    for (const batch of chunks([...new Set(contactIds)], LOCATION_BATCH)) {
      const inputs = await loadHealthScoreInputs(this.dataSource.manager, locationId, batch, now);
      await this.save(locationId, scoreBatch(batch, inputs, settings, now), trigger, now);
    }
  }

  /** Rescores every live contact of a location, in batches. */
  async recomputeLocation(locationId: string, trigger: HealthScoreTrigger): Promise<number> {
    let after = '';
    let count = 0;
    for (;;) {
      const rows: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM contacts WHERE location_id = $1 AND deleted_at IS NULL AND id > $2
         ORDER BY id LIMIT $3`,
        [locationId, after, LOCATION_BATCH],
      );
      if (rows.length === 0) return count;

      await this.recomputeContacts(
        locationId,
        rows.map((row) => row.id),
        trigger,
      );
      count += rows.length;
      after = rows[rows.length - 1].id;
    }
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
  ): Promise<HealthScore> {
    const settings = await this.settingsFor(locationId);
    const stored = await loadHealthScoreInputs(
      this.dataSource.manager,
      locationId,
      [contactId],
      now,
    );
    const children = stored.get(contactId) ?? {
      lastTouchAt: null,
      overdueOpenTasks: 0,
      nextAppointmentAt: null,
    };
    const score = computeHealthScore({ ...children, ...contact }, settings, now);
    await this.save(locationId, { scored: [{ contactId, ...score }], gone: [] }, trigger, now);

    return score;
  }

  async settingsFor(locationId: string): Promise<HealthScoreSettings> {
    const row = await this.dataSource
      .getRepository(HealthScoreSettingsRow)
      .findOneBy({ locationId });

    return resolveHealthScoreSettings(row?.settings ?? {});
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

  private save(
    locationId: string,
    { scored, gone }: ScoredBatch,
    trigger: HealthScoreTrigger,
    now: Date,
  ): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      const contactIds = [...scored.map((contact) => contact.contactId), ...gone];
      await lockContacts(manager, locationId, contactIds);

      if (gone.length > 0) await forgetScores(manager, locationId, gone);
      if (scored.length === 0) return;

      const rows = jsonbParameter(
        scored.map(({ contactId, score, factors }) => ({ contact_id: contactId, score, factors })),
      );
      const values = [locationId, rows, trigger, now];
      await manager.query(STORE_CHANGED_SCORES, values);
      await manager.query(STORE_CURRENT_SCORES, values);
    });
  }
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

function forgetScores(manager: EntityManager, locationId: string, contactIds: string[]) {
  return manager.query(
    'DELETE FROM contact_health_scores WHERE location_id = $1 AND contact_id = ANY($2::varchar[])',
    [locationId, contactIds],
  );
}
