import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the sync worker's reconciliation needs: custom fields by key (and the location's field
 * definitions they come from), the contact version whose children were last fetched, run
 * durations, and the guard that lets a location's nightly sync run once per local date.
 */
export class SyncReconciliation1764832600000 implements MigrationInterface {
  name = 'SyncReconciliation1764832600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE contacts
         ADD COLUMN custom_fields_by_key jsonb NOT NULL DEFAULT '{}',
         ADD COLUMN children_version_at timestamptz`,
    );
    await db.query('ALTER TABLE sync_runs ADD COLUMN duration_ms integer');
    await db.query(
      `CREATE TABLE location_custom_fields (
        location_id varchar(64) NOT NULL,
        id varchar(64) NOT NULL,
        field_key varchar(255) NOT NULL,
        name text,
        data_type varchar(64),
        loaded_at timestamptz NOT NULL,
        PRIMARY KEY (location_id, id)
      )`,
    );
    await db.query(
      `CREATE TABLE nightly_sync_dates (
        location_id varchar(64) NOT NULL,
        local_date date NOT NULL,
        job_id varchar(128) NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (location_id, local_date)
      )`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE nightly_sync_dates');
    await db.query('DROP TABLE location_custom_fields');
    await db.query('ALTER TABLE sync_runs DROP COLUMN duration_ms');
    await db.query(
      'ALTER TABLE contacts DROP COLUMN children_version_at, DROP COLUMN custom_fields_by_key',
    );
  }
}
