import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The nightly reconciliation asks the inbox which contacts of one location had an event since
 * the last successful run: an index on (location_id, received_at) answers that without scanning
 * the deliveries of every other location.
 */
export class InboxLocationIndex1764861200000 implements MigrationInterface {
  name = 'InboxLocationIndex1764861200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      'CREATE INDEX "IDX_webhook_inbox_location_received" ' +
        'ON webhook_inbox (location_id, received_at)',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX IF EXISTS "IDX_webhook_inbox_location_received"');
  }
}
