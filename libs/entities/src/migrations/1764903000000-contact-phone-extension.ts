import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A contact's phone extension, apart from its E.164 number: two contacts on one switchboard
 * number with their own extensions were stored with the same phone.
 */
export class ContactPhoneExtension1764903000000 implements MigrationInterface {
  name = 'ContactPhoneExtension1764903000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE contacts ADD COLUMN phone_extension text');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE contacts DROP COLUMN phone_extension');
  }
}
