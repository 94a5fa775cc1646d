import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each contact's children were last fetched, which the children refresh reads to take the
 * oldest. Existing rows start unknown (NULL) and are refreshed first, a sweep's share at a time.
 * No index: a sweep sorts one location's live contacts for its first few hundred, and an indexed
 * column would cost every contact write its HOT update.
 */
export class ChildrenFetchedAt1764904000000 implements MigrationInterface {
  name = 'ChildrenFetchedAt1764904000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE contacts ADD COLUMN children_fetched_at timestamptz');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE contacts DROP COLUMN children_fetched_at');
  }
}
