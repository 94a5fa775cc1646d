import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An e-mail notification keeps, per recipient, what the SMTP server said: the recipients that
 * took it (a retry for the others must not mail them again) and those that refused it, which the
 * operator is told to look at.
 */
export class NotificationRecipients1764902000000 implements MigrationInterface {
  name = 'NotificationRecipients1764902000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE notifications ADD COLUMN accepted_recipients text[]');
    await db.query('ALTER TABLE notifications ADD COLUMN refused_recipients text[]');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE notifications DROP COLUMN refused_recipients');
    await db.query('ALTER TABLE notifications DROP COLUMN accepted_recipients');
  }
}
