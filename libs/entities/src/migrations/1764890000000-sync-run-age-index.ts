import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sync worker deletes sync runs past their retention, across locations, oldest first; an
 * index on their start makes that delete read only what it removes, not the whole table. It
 * keeps each location's last successful full sync, which a partial index finds in one probe
 * (the next run's plan reads it too): a location's contact syncs outnumber its full syncs by far.
 */
export class SyncRunAgeIndex1764890000000 implements MigrationInterface {
  name = 'SyncRunAgeIndex1764890000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX "IDX_sync_runs_started" ON sync_runs (started_at)');
    await db.query(
      `CREATE INDEX "IDX_sync_runs_location_full_success" ON sync_runs (location_id, started_at)
       WHERE scope = 'location' AND status = 'succeeded' AND trigger <> 'task-sweep'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX IF EXISTS "IDX_sync_runs_location_full_success"');
    await db.query('DROP INDEX IF EXISTS "IDX_sync_runs_started"');
  }
}
