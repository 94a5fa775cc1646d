import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import {
  ContactHealthScore,
  ContactHealthScoreHistory,
  HealthScoreSettings as HealthScoreSettingsRow,
} from '@sm/entities';

import { computeHealthScore, HealthScore, HealthScoreInputs } from './health-score.calculator';
import { loadHealthScoreInputs } from './health-score-inputs';
import { HealthScoreSettings, resolveHealthScoreSettings } from './health-score-settings';

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

  /** Rescores contacts of one location; a contact deleted (or unknown) loses its score. */
  async recomputeContacts(
    locationId: string,
    contactIds: string[],
    trigger: HealthScoreTrigger,
    now = new Date(),
  ): Promise<void> {
    const settings = await this.settingsFor(locationId);
    const inputs = await loadHealthScoreInputs(
      this.dataSource.manager,
      locationId,
      contactIds,
      now,
    );
    for (const contactId of contactIds) {
      const contactInputs = inputs.get(contactId);
      if (!contactInputs) {
        await this.dataSource.getRepository(ContactHealthScore).delete({ locationId, contactId });
        continue;
      }
      const score = computeHealthScore(contactInputs, settings, now);
      await this.save(locationId, contactId, score, trigger, now);
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
    await this.save(locationId, contactId, score, trigger, now);

    return score;
  }

  async settingsFor(locationId: string): Promise<HealthScoreSettings> {
    const row = await this.dataSource
      .getRepository(HealthScoreSettingsRow)
      .findOneBy({ locationId });

    return resolveHealthScoreSettings(row?.settings ?? {});
  }

  /** Validates and stores a location's settings, then rescores its contacts with them. */
  async saveSettings(locationId: string, override: unknown): Promise<HealthScoreSettings> {
    const settings = resolveHealthScoreSettings(override);
    await this.dataSource.query(
      `INSERT INTO health_score_settings (location_id, settings, updated_at)
       VALUES ($1, $2::jsonb, now())
       ON CONFLICT (location_id) DO UPDATE SET settings = excluded.settings, updated_at = now()`,
      [locationId, JSON.stringify(override)],
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
    contactId: string,
    { score, factors }: HealthScore,
    trigger: HealthScoreTrigger,
    now: Date,
  ): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await lockContact(manager, locationId, contactId);
      const values = [locationId, contactId, score, JSON.stringify(factors), trigger, now];
      await manager.query(
        `INSERT INTO contact_health_score_history
           (location_id, contact_id, score, factors, trigger, computed_at)
         SELECT $1::varchar, $2::varchar, $3::int, $4::jsonb, $5::varchar, $6::timestamptz
         WHERE NOT EXISTS (
           SELECT 1 FROM contact_health_scores s
           WHERE s.location_id = $1 AND s.contact_id = $2 AND s.score = $3
             AND jsonb_path_query_array(s.factors, '$[*].points')
               = jsonb_path_query_array($4::jsonb, '$[*].points'))`,
        values,
      );
      await manager.query(
        `INSERT INTO contact_health_scores
           (location_id, contact_id, score, factors, trigger, computed_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6)
         ON CONFLICT (location_id, contact_id) DO UPDATE
           SET score = excluded.score, factors = excluded.factors, trigger = excluded.trigger,
               computed_at = excluded.computed_at`,
        values,
      );
    });
  }
}

/** Two recomputes of one contact at once would both see "changed" and write history twice. */
function lockContact(manager: EntityManager, locationId: string, contactId: string) {
  return manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `health-score:${locationId}:${contactId}`,
  ]);
}
