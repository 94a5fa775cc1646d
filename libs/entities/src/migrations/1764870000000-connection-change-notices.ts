import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to a connection or its tokens is announced on the `ghl_connection_changed`
 * channel, with the location id as payload (both ids when an UPDATE changes it, `*` for a
 * TRUNCATE). The auth-service replicas keep the tokens they read in memory and forget a
 * location's entry when its notice arrives, so that another replica's refresh, an uninstall, or
 * an operator's edit in SQL is seen at once.
 */
export class ConnectionChangeNotices1764870000000 implements MigrationInterface {
  name = 'ConnectionChangeNotices1764870000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION notify_ghl_connection_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('ghl_connection_changed', '*');
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('ghl_connection_changed', OLD.location_id);
        ELSE
          PERFORM pg_notify('ghl_connection_changed', NEW.location_id);
          -- A row moved to another id (an edit in SQL) also changed the id it left.
          IF TG_OP = 'UPDATE' AND OLD.location_id IS DISTINCT FROM NEW.location_id THEN
            PERFORM pg_notify('ghl_connection_changed', OLD.location_id);
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    for (const table of ['ghl_connections', 'ghl_connection_tokens']) {
      await db.query(
        `CREATE TRIGGER ${table}_changed AFTER INSERT OR UPDATE OR DELETE ON ${table} ` +
          'FOR EACH ROW EXECUTE FUNCTION notify_ghl_connection_changed()',
      );
      await db.query(
        `CREATE TRIGGER ${table}_truncated AFTER TRUNCATE ON ${table} ` +
          'FOR EACH STATEMENT EXECUTE FUNCTION notify_ghl_connection_changed()',
      );
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['ghl_connections', 'ghl_connection_tokens']) {
      await db.query(`DROP TRIGGER IF EXISTS ${table}_changed ON ${table}`);
      await db.query(`DROP TRIGGER IF EXISTS ${table}_truncated ON ${table}`);
    }
    await db.query('DROP FUNCTION IF EXISTS notify_ghl_connection_changed()');
  }
}
