import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The activity timeline and the health score.
 *
 * The timeline is kept by triggers on the record tables, so every write path (syncs, webhooks,
 * tombstones, a future one) records what changed without knowing about it. A trigger only
 * speaks when a column it watches really changed, and each row carries a dedupe key made of
 * the record, the kind of change, the record's version and the change itself: replaying the
 * same write records nothing twice.
 */
export class ActivityAndHealthScore1764840000000 implements MigrationInterface {
  name = 'ActivityAndHealthScore1764840000000';

  async up(db: QueryRunner): Promise<void> {
    await this.createTables(db);
    await db.query(RECORD_ACTIVITY_FUNCTION);
    await db.query(CONTACT_ACTIVITY_FUNCTION);
    await db.query(TASK_ACTIVITY_FUNCTION);
    await db.query(NOTE_ACTIVITY_FUNCTION);
    await db.query(APPOINTMENT_ACTIVITY_FUNCTION);
    for (const [table, fn] of TRIGGERS) {
      await db.query(
        `CREATE TRIGGER ${table}_activity AFTER INSERT OR UPDATE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      );
    }
  }

  private async createTables(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE contact_activity (
        id bigserial PRIMARY KEY,
        location_id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        kind varchar(48) NOT NULL,
        record_type varchar(16) NOT NULL,
        record_id varchar(64) NOT NULL,
        occurred_at timestamptz NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        dedupe_key varchar(200) NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      'CREATE UNIQUE INDEX "UQ_contact_activity_location_dedupe" ' +
        'ON contact_activity (location_id, dedupe_key)',
    );
    await db.query(
      'CREATE INDEX "IDX_contact_activity_timeline" ' +
        'ON contact_activity (location_id, contact_id, occurred_at, id)',
    );
    await db.query(`
      CREATE TABLE health_score_settings (
        location_id varchar(64) PRIMARY KEY,
        settings jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE contact_health_scores (
        location_id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        score integer NOT NULL,
        factors jsonb NOT NULL,
        trigger varchar(16) NOT NULL,
        computed_at timestamptz NOT NULL,
        PRIMARY KEY (location_id, contact_id)
      )`);
    await db.query(
      'CREATE INDEX "IDX_contact_health_scores_location_score" ' +
        'ON contact_health_scores (location_id, score)',
    );
    await db.query(`
      CREATE TABLE contact_health_score_history (
        id bigserial PRIMARY KEY,
        location_id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        score integer NOT NULL,
        factors jsonb NOT NULL,
        trigger varchar(16) NOT NULL,
        computed_at timestamptz NOT NULL
      )`);
    await db.query(
      'CREATE INDEX "IDX_contact_health_score_history_contact" ' +
        'ON contact_health_score_history (location_id, contact_id, computed_at)',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    for (const [table] of TRIGGERS) {
      await db.query(`DROP TRIGGER IF EXISTS ${table}_activity ON ${table}`);
    }
    for (const fn of [...TRIGGERS.map(([, name]) => name), 'sm_record_activity']) {
      await db.query(`DROP FUNCTION IF EXISTS ${fn} CASCADE`);
    }
    for (const table of [
      'contact_health_score_history',
      'contact_health_scores',
      'health_score_settings',
      'contact_activity',
    ]) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}

const TRIGGERS: [string, string][] = [
  ['contacts', 'sm_contact_activity'],
  ['contact_tasks', 'sm_task_activity'],
  ['contact_notes', 'sm_note_activity'],
  ['contact_appointments', 'sm_appointment_activity'],
];

/**
 * One timeline row, unless the same change was recorded before. Times are cut to milliseconds
 * so that a cursor carried through JavaScript's Date points at the row exactly.
 */
const RECORD_ACTIVITY_FUNCTION = `
  CREATE FUNCTION sm_record_activity(
    p_location varchar, p_contact varchar, p_record_type varchar, p_record_id varchar,
    p_kind varchar, p_occurred_at timestamptz, p_version timestamptz, p_details jsonb
  ) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                  occurred_at, details, dedupe_key)
    VALUES (p_location, p_contact, p_kind, p_record_type, p_record_id,
            date_trunc('milliseconds', COALESCE(p_occurred_at, p_version, now())), p_details,
            left(p_record_type || ':' || p_record_id, 120) || ':' || p_kind || ':'
              || md5(COALESCE(p_version::text, '') || p_details::text))
    ON CONFLICT (location_id, dedupe_key) DO NOTHING;
  END $$`;

export const CONTACT_ACTIVITY_FUNCTION = `
  CREATE FUNCTION sm_contact_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    added text[];
    removed text[];
  BEGIN
    IF TG_OP = 'INSERT' THEN
      IF NEW.deleted_at IS NOT NULL THEN RETURN NULL; END IF;
      PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id, 'contact.created',
        COALESCE(NEW.ghl_date_added, NEW.source_version_at), NEW.source_version_at,
        jsonb_build_object('tags', to_jsonb(NEW.tags), 'dnd', NEW.dnd));
      RETURN NULL;
    END IF;

    IF NEW.deleted_at IS NOT NULL THEN
      IF OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id, 'contact.deleted',
          NEW.deleted_at, NEW.deleted_at, '{}'::jsonb);
      END IF;
      RETURN NULL;
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id, 'contact.restored',
        NEW.source_version_at, NEW.source_version_at, '{}'::jsonb);
    END IF;

    added := ARRAY(SELECT unnest(NEW.tags) EXCEPT SELECT unnest(OLD.tags) ORDER BY 1);
    removed := ARRAY(SELECT unnest(OLD.tags) EXCEPT SELECT unnest(NEW.tags) ORDER BY 1);
    IF cardinality(added) > 0 THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id, 'contact.tags-added',
        NEW.source_version_at, NEW.source_version_at, jsonb_build_object('tags', to_jsonb(added)));
    END IF;
    IF cardinality(removed) > 0 THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id,
        'contact.tags-removed', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('tags', to_jsonb(removed)));
    END IF;
    IF NEW.dnd IS DISTINCT FROM OLD.dnd THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id,
        CASE WHEN NEW.dnd THEN 'contact.dnd-on' ELSE 'contact.dnd-off' END,
        NEW.source_version_at, NEW.source_version_at, jsonb_build_object('dnd', NEW.dnd));
    END IF;
    RETURN NULL;
  END $$`;

/**
 * Tasks: created, due (one row per task at its due date, moved with it), due date changed,
 * completed, reopened, deleted.
 */
export const TASK_ACTIVITY_FUNCTION = `
  CREATE FUNCTION sm_task_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    was_deleted boolean := TG_OP = 'UPDATE' AND OLD.deleted_at IS NOT NULL;
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF TG_OP = 'UPDATE' AND OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
          'task.deleted', NEW.deleted_at, NEW.deleted_at,
          jsonb_build_object('title', NEW.title));
      END IF;
      RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' OR was_deleted THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.created', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title, 'dueDate', NEW.due_date));
    ELSIF NEW.due_date IS DISTINCT FROM OLD.due_date THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.due-date-changed', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title, 'from', OLD.due_date, 'to', NEW.due_date));
    END IF;

    IF NEW.due_date IS NOT NULL THEN
      INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                    occurred_at, details, dedupe_key)
      VALUES (NEW.location_id, NEW.contact_id, 'task.due', 'task', NEW.id,
              date_trunc('milliseconds', NEW.due_date), jsonb_build_object('title', NEW.title),
              left('task:' || NEW.id, 120) || ':task.due')
      ON CONFLICT (location_id, dedupe_key) DO UPDATE
        SET occurred_at = excluded.occurred_at, details = excluded.details
        WHERE contact_activity.occurred_at IS DISTINCT FROM excluded.occurred_at
           OR contact_activity.details IS DISTINCT FROM excluded.details;
    END IF;

    IF NEW.completed AND (TG_OP = 'INSERT' OR NOT OLD.completed OR was_deleted) THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.completed', COALESCE(NEW.completed_at, NEW.source_version_at),
        NEW.source_version_at, jsonb_build_object('title', NEW.title));
    ELSIF TG_OP = 'UPDATE' AND NOT NEW.completed AND OLD.completed THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.reopened', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title));
    END IF;
    RETURN NULL;
  END $$`;

export const NOTE_ACTIVITY_FUNCTION = `
  CREATE FUNCTION sm_note_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF TG_OP = 'UPDATE' AND OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'note', NEW.id,
          'note.deleted', NEW.deleted_at, NEW.deleted_at, '{}'::jsonb);
      END IF;
      RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' OR OLD.deleted_at IS NOT NULL THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'note', NEW.id, 'note.added',
        COALESCE(NEW.ghl_date_added, NEW.source_version_at), NEW.source_version_at,
        jsonb_build_object('body', left(NEW.body, 280), 'userId', NEW.user_id));
    ELSIF NEW.body IS DISTINCT FROM OLD.body THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'note', NEW.id, 'note.edited',
        NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('body', left(NEW.body, 280), 'userId', NEW.user_id));
    END IF;
    RETURN NULL;
  END $$`;

/** GHL's appointmentStatus values name what happened: cancelled, showed, noshow, confirmed. */
export const APPOINTMENT_ACTIVITY_FUNCTION = `
  CREATE FUNCTION sm_appointment_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    status_now varchar := lower(COALESCE(NEW.status, ''));
    status_changed boolean;
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF TG_OP = 'UPDATE' AND OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'appointment', NEW.id,
          'appointment.deleted', NEW.deleted_at, NEW.deleted_at,
          jsonb_build_object('title', NEW.title, 'startTime', NEW.start_time));
      END IF;
      RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' OR OLD.deleted_at IS NOT NULL THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'appointment', NEW.id,
        'appointment.booked', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title, 'startTime', NEW.start_time,
                           'status', NEW.status));
      status_changed := status_now IN ('cancelled', 'showed', 'noshow');
    ELSE
      IF NEW.start_time IS DISTINCT FROM OLD.start_time THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'appointment', NEW.id,
          'appointment.moved', NEW.source_version_at, NEW.source_version_at,
          jsonb_build_object('title', NEW.title, 'from', OLD.start_time, 'to', NEW.start_time));
      END IF;
      status_changed := status_now IS DISTINCT FROM lower(COALESCE(OLD.status, ''));
    END IF;

    IF NOT status_changed THEN RETURN NULL; END IF;
    PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'appointment', NEW.id,
      CASE status_now
        WHEN 'cancelled' THEN 'appointment.cancelled'
        WHEN 'showed' THEN 'appointment.showed'
        WHEN 'noshow' THEN 'appointment.no-show'
        WHEN 'confirmed' THEN 'appointment.confirmed'
        ELSE 'appointment.status-changed' END,
      NEW.source_version_at, NEW.source_version_at,
      jsonb_build_object('title', NEW.title, 'status', NEW.status, 'startTime', NEW.start_time));
    RETURN NULL;
  END $$`;
