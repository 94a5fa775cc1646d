import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A nightly run claims its local date in the zone it ran in. Keyed by the date alone, a location
 * that GHL moved west lost the new zone's first midnight: its date had been claimed hours before,
 * at the old zone's midnight. The dates claimed so far are taken to be in the zone the location
 * has now (UTC where it has none, as the worker's default would have had it).
 */
export class NightlyDateZone1764900000000 implements MigrationInterface {
  name = 'NightlyDateZone1764900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE nightly_sync_dates ADD COLUMN time_zone varchar(64)');
    await db.query(
      `UPDATE nightly_sync_dates AS d
       SET time_zone = COALESCE(
         (SELECT c.timezone FROM ghl_connections AS c WHERE c.location_id = d.location_id), 'UTC')`,
    );
    await db.query('ALTER TABLE nightly_sync_dates ALTER COLUMN time_zone SET NOT NULL');
    await db.query('ALTER TABLE nightly_sync_dates DROP CONSTRAINT nightly_sync_dates_pkey');
    await db.query(
      'ALTER TABLE nightly_sync_dates ADD PRIMARY KEY (location_id, time_zone, local_date)',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    // Keeps, per location and date, the claim made first.
    await db.query(
      `DELETE FROM nightly_sync_dates AS d USING nightly_sync_dates AS e
       WHERE d.location_id = e.location_id AND d.local_date = e.local_date
         AND (d.claimed_at, d.time_zone) > (e.claimed_at, e.time_zone)`,
    );
    await db.query('ALTER TABLE nightly_sync_dates DROP CONSTRAINT nightly_sync_dates_pkey');
    await db.query('ALTER TABLE nightly_sync_dates ADD PRIMARY KEY (location_id, local_date)');
    await db.query('ALTER TABLE nightly_sync_dates DROP COLUMN time_zone');
  }
}
