import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sync worker deletes sync runs past their retention, across locations, oldest first; an
 * index on their start makes that delete read only what it removes, not the whole table.
 */
export class SyncRunAgeIndex1764890000000 implements MigrationInterface {
  name = 'SyncRunAgeIndex1764890000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX "IDX_sync_runs_started" ON sync_runs (started_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX IF EXISTS "IDX_sync_runs_started"');
  }
}
