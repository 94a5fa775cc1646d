import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The auth service deletes OAuth states that expired over an hour ago; an index on their expiry
 * makes that delete read only what it removes, not the whole table.
 */
export class OAuthStateExpiryIndex1764870100000 implements MigrationInterface {
  name = 'OAuthStateExpiryIndex1764870100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX "IDX_oauth_states_expires_at" ON oauth_states (expires_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX IF EXISTS "IDX_oauth_states_expires_at"');
  }
}
