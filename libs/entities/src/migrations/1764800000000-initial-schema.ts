import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764800000000 implements MigrationInterface {
  name = 'InitialSchema1764800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE ghl_connections (
        location_id varchar(64) PRIMARY KEY,
        company_id varchar(64),
        status varchar(32) NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        credential_kind varchar(16) NOT NULL DEFAULT 'oauth',
        installed_by_user_id varchar(64),
        timezone varchar(64),
        status_reason text,
        installed_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE ghl_connection_tokens (
        location_id varchar(64) PRIMARY KEY,
        access_token_sealed text NOT NULL,
        refresh_token_sealed text,
        key_id varchar(32) NOT NULL,
        access_token_expires_at timestamptz NOT NULL,
        generation integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE oauth_states (
        nonce varchar(64) PRIMARY KEY,
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz
      )`);
    await this.createRecordTables(db);
    await this.createPlatformTables(db);
  }

  private async createRecordTables(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE contacts (
        location_id varchar(64) NOT NULL,
        id varchar(64) NOT NULL,
        first_name text, last_name text, name text, email text, phone text,
        company_name text, source text, type text,
        assigned_to varchar(64), timezone varchar(64),
        dnd boolean NOT NULL DEFAULT false,
        dnd_settings jsonb,
        tags text[] NOT NULL DEFAULT '{}',
        custom_fields jsonb NOT NULL DEFAULT '{}',
        address1 text, city text, state text, country text, postal_code text, website text,
        date_of_birth text,
        business_id varchar(64),
        ghl_date_added timestamptz,
        ghl_date_updated timestamptz,
        source_version_at timestamptz NOT NULL,
        deleted_at timestamptz,
        synced_at timestamptz NOT NULL,
        PRIMARY KEY (location_id, id)
      )`);
    await db.query(`
      CREATE TABLE contact_tasks (
        location_id varchar(64) NOT NULL,
        id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        title text, body text,
        assigned_to varchar(64),
        due_date timestamptz,
        completed boolean NOT NULL DEFAULT false,
        completed_at timestamptz,
        source_version_at timestamptz NOT NULL,
        deleted_at timestamptz,
        synced_at timestamptz NOT NULL,
        PRIMARY KEY (location_id, id)
      )`);
    await db.query(`
      CREATE TABLE contact_notes (
        location_id varchar(64) NOT NULL,
        id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        body text,
        user_id varchar(64),
        ghl_date_added timestamptz,
        source_version_at timestamptz NOT NULL,
        deleted_at timestamptz,
        synced_at timestamptz NOT NULL,
        PRIMARY KEY (location_id, id)
      )`);
    await db.query(`
      CREATE TABLE contact_appointments (
        location_id varchar(64) NOT NULL,
        id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        calendar_id varchar(64),
        title text,
        status varchar(32),
        assigned_user_id varchar(64),
        address text, notes text,
        start_time timestamptz, end_time timestamptz,
        ghl_date_updated timestamptz,
        source_version_at timestamptz NOT NULL,
        deleted_at timestamptz,
        synced_at timestamptz NOT NULL,
        PRIMARY KEY (location_id, id)
      )`);
    for (const table of ['contact_tasks', 'contact_notes', 'contact_appointments']) {
      await db.query(
        `CREATE INDEX "IDX_${table}_location_contact" ON ${table} (location_id, contact_id)`,
      );
    }
  }

  private async createPlatformTables(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_inbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dedupe_key varchar(128) NOT NULL UNIQUE,
        webhook_id varchar(128),
        event_type varchar(64) NOT NULL,
        location_id varchar(64),
        payload jsonb NOT NULL,
        signature_scheme varchar(16) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'received',
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        error text
      )`);
    await db.query(
      'CREATE INDEX "IDX_webhook_inbox_status_received" ON webhook_inbox (status, received_at)',
    );
    await db.query(`
      CREATE TABLE sync_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        location_id varchar(64) NOT NULL,
        scope varchar(16) NOT NULL,
        contact_id varchar(64),
        trigger varchar(16) NOT NULL,
        status varchar(16) NOT NULL,
        counts jsonb NOT NULL,
        ghl_calls integer NOT NULL DEFAULT 0,
        error_count integer NOT NULL DEFAULT 0,
        last_error text,
        job_id varchar(128),
        started_at timestamptz NOT NULL,
        finished_at timestamptz
      )`);
    await db.query(
      'CREATE INDEX "IDX_sync_runs_location_started" ON sync_runs (location_id, started_at)',
    );
    await db.query(`
      CREATE TABLE outbox_events (
        id bigserial PRIMARY KEY,
        location_id varchar(64) NOT NULL,
        event_type varchar(64) NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await db.query(
      'CREATE INDEX "IDX_outbox_events_published_id" ON outbox_events (published_at, id)',
    );
    await db.query(`
      CREATE TABLE parked_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        queue_name varchar(64) NOT NULL,
        job_name varchar(64) NOT NULL,
        job_id varchar(128),
        location_id varchar(64),
        data jsonb NOT NULL,
        failed_reason text NOT NULL,
        attempts_made integer NOT NULL,
        parked_at timestamptz NOT NULL DEFAULT now(),
        replayed_at timestamptz
      )`);
    await db.query(
      'CREATE INDEX "IDX_parked_jobs_replayed_parked" ON parked_jobs (replayed_at, parked_at)',
    );
    await db.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dedupe_key varchar(200) NOT NULL UNIQUE,
        location_id varchar(64),
        audience varchar(16) NOT NULL,
        channel varchar(16) NOT NULL,
        kind varchar(64) NOT NULL,
        status varchar(16) NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await db.query(
      'CREATE INDEX "IDX_notifications_location_created" ' +
        'ON notifications (location_id, created_at)',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'notifications',
      'parked_jobs',
      'outbox_events',
      'sync_runs',
      'webhook_inbox',
      'contact_appointments',
      'contact_notes',
      'contact_tasks',
      'contacts',
      'oauth_states',
      'ghl_connection_tokens',
      'ghl_connections',
    ]) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
