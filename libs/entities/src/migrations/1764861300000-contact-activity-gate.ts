import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The contact activity trigger records something on an update only when `deleted_at`, `tags` or
 * `dnd` changed. An update of anything else (a sync marking which version's children it stored,
 * ten thousand rows on a first sync) paid a PL/pgSQL call per row that recorded nothing. The
 * update trigger now has a WHEN clause that says exactly that, checked without the call; the
 * function and the timeline it writes are unchanged.
 */
export class ContactActivityGate1764861300000 implements MigrationInterface {
  name = 'ContactActivityGate1764861300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('DROP TRIGGER contacts_activity ON contacts');
    await db.query(
      `CREATE TRIGGER contacts_activity AFTER INSERT ON contacts
       FOR EACH ROW EXECUTE FUNCTION sm_contact_activity()`,
    );
    await db.query(
      `CREATE TRIGGER contacts_activity_update AFTER UPDATE ON contacts
       FOR EACH ROW
       WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
             OR OLD.tags IS DISTINCT FROM NEW.tags
             OR OLD.dnd IS DISTINCT FROM NEW.dnd)
       EXECUTE FUNCTION sm_contact_activity()`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TRIGGER contacts_activity_update ON contacts');
    await db.query('DROP TRIGGER contacts_activity ON contacts');
    await db.query(
      `CREATE TRIGGER contacts_activity AFTER INSERT OR UPDATE ON contacts
       FOR EACH ROW EXECUTE FUNCTION sm_contact_activity()`,
    );
  }
}
