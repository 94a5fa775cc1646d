import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications keep the message they carry, rendered once when they are created: every retry
 * sends the same words, and delivery jobs in Redis carry only the row's id.
 */
export class NotificationMessage1764813004000 implements MigrationInterface {
  name = 'NotificationMessage1764813004000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE notifications ADD COLUMN message jsonb');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE notifications DROP COLUMN message');
  }
}
