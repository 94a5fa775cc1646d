import { MigrationInterface, QueryRunner } from 'typeorm';

import {
  APPOINTMENT_ACTIVITY_FUNCTION,
  CONTACT_ACTIVITY_FUNCTION,
  NOTE_ACTIVITY_FUNCTION,
  TASK_ACTIVITY_FUNCTION,
} from './1764840000000-activity-and-health-score';
import { INSERT_TRIGGERS } from './1764880000000-activity-insert-triggers';

/**
 * The timeline entries a record's own row can tell are read from it, no longer copied into
 * `contact_activity`: a contact's, task's, note's and appointment's creation, and a task's due
 * date. A first sync of 10,000 contacts wrote 105,000 timeline rows for 55,000 records, which
 * cost Postgres more than the records themselves; it now writes the 13,000 the rows cannot
 * tell: tasks found completed and appointments found cancelled, showed or no-show.
 *
 * `first_version_at` is the version at which SolarMarket first held the record live, set by the
 * insert (or by the write that shows a record first stored as a tombstone) and kept by every
 * later one; a creation entry is read from it. The worker's upsert sets it; a BEFORE trigger
 * sets it for any other writer that leaves a live row without one (the release before this one,
 * still running through a rolling deploy, or a hand-written INSERT), so that every live row has
 * one. Its WHEN clause is checked without a function call, so the upsert pays nothing for it.
 * Existing rows take it from their first stored creation entry (one `down` stored again comes
 * first), which is then dropped with every `task.due` entry. A row the timeline never recorded
 * as created takes the time of its earliest entry but a due date, if it has any: it was live
 * then, deleted or not now, and its next restore is recorded as one. A live row without any
 * takes its current version.
 *
 * The update triggers stay: changes, deletes, and a record shown again after its delete. A
 * record first held live by an update (it was stored as a tombstone) records nothing of that
 * update beyond a completion or an appointment status, as an insert would: its creation entry
 * comes from the row.
 */
export class DerivedCreationEntries1764906000000 implements MigrationInterface {
  name = 'DerivedCreationEntries1764906000000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of RECORD_TABLES) {
      await db.query(`ALTER TABLE ${table.name} ADD COLUMN first_version_at timestamptz`);
    }
    await this.takeFirstVersions(db);
    await db.query(FIRST_VERSION_FUNCTION);
    for (const table of RECORD_TABLES) {
      await db.query(
        `CREATE TRIGGER ${table.name}_first_version BEFORE INSERT OR UPDATE ON ${table.name}
         FOR EACH ROW WHEN (NEW.first_version_at IS NULL AND NEW.deleted_at IS NULL)
         EXECUTE FUNCTION sm_first_version()`,
      );
    }
    await db.query(`DELETE FROM contact_activity WHERE kind = 'task.due'`);

    await db.query('DROP TRIGGER contacts_activity_insert ON contacts');
    await db.query('DROP FUNCTION sm_contacts_inserted_activity()');
    await db.query('DROP TRIGGER contact_notes_activity_insert ON contact_notes');
    await db.query('DROP FUNCTION sm_notes_inserted_activity()');
    for (const sql of [TASKS_INSERTED, APPOINTMENTS_INSERTED, ...UPDATE_FUNCTIONS]) {
      await db.query(sql);
    }
  }

  /**
   * Each record's first stored creation entry becomes its first version, and is dropped: the
   * timeline reads it from the row now. A restore's later creation entries stay. An entry a
   * `down` stored again (its dedupe key ends in `:row`) is the first, whatever its id.
   */
  private async takeFirstVersions(db: QueryRunner): Promise<void> {
    for (const table of RECORD_TABLES) {
      await db.query(
        `WITH first AS (
           DELETE FROM contact_activity WHERE id IN (
             SELECT DISTINCT ON (location_id, record_id) id FROM contact_activity
             WHERE record_type = $1 AND kind = $2
             ORDER BY location_id, record_id, dedupe_key LIKE '%:row' DESC, id)
           RETURNING location_id, record_id, occurred_at)
         UPDATE ${table.name} AS r SET first_version_at = first.occurred_at
         FROM first WHERE r.location_id = first.location_id AND r.id = first.record_id`,
        [table.recordType, table.creationKind],
      );
      // Read once per record, not per row: the timeline's index leads with the contact, so a
      // lookup by record per row read every entry of the location (128 s for 10,000 contacts).
      // A due date is no time the task was held: it may lie years ahead.
      await db.query(
        `UPDATE ${table.name} AS r SET first_version_at = e.first_at
         FROM (SELECT location_id, record_id, min(occurred_at) AS first_at FROM contact_activity
               WHERE record_type = $1 AND kind <> 'task.due'
               GROUP BY location_id, record_id) AS e
         WHERE r.location_id = e.location_id AND r.id = e.record_id
           AND r.first_version_at IS NULL`,
        [table.recordType],
      );
      await db.query(
        `UPDATE ${table.name} SET first_version_at = source_version_at
         WHERE first_version_at IS NULL AND deleted_at IS NULL`,
      );
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const sql of [
      CONTACT_ACTIVITY_FUNCTION,
      TASK_ACTIVITY_FUNCTION,
      NOTE_ACTIVITY_FUNCTION,
      APPOINTMENT_ACTIVITY_FUNCTION,
    ]) {
      await db.query(sql.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    }
    for (const trigger of INSERT_TRIGGERS) {
      await db.query(trigger.functionSql.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    }
    for (const [table, fn] of [
      ['contacts', 'sm_contacts_inserted_activity'],
      ['contact_notes', 'sm_notes_inserted_activity'],
    ]) {
      await db.query(
        `CREATE TRIGGER ${table}_activity_insert AFTER INSERT ON ${table}
         REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
      );
    }
    for (const sql of STORED_AGAIN) await db.query(sql);
    for (const table of RECORD_TABLES) {
      await db.query(`DROP TRIGGER ${table.name}_first_version ON ${table.name}`);
      await db.query(`ALTER TABLE ${table.name} DROP COLUMN first_version_at`);
    }
    await db.query('DROP FUNCTION sm_first_version()');
  }
}

const RECORD_TABLES = [
  { name: 'contacts', recordType: 'contact', creationKind: 'contact.created' },
  { name: 'contact_tasks', recordType: 'task', creationKind: 'task.created' },
  { name: 'contact_notes', recordType: 'note', creationKind: 'note.added' },
  { name: 'contact_appointments', recordType: 'appointment', creationKind: 'appointment.booked' },
];

/** A live row written without its first version takes the one it is written at. */
const FIRST_VERSION_FUNCTION = `
  CREATE FUNCTION sm_first_version() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    NEW.first_version_at := NEW.source_version_at;
    RETURN NEW;
  END $$`;

export const TASK_DETAILS = `jsonb_build_object('title', title)`;
const TASK_CREATED_DETAILS = `jsonb_build_object('title', title, 'dueDate', due_date)`;
const CONTACT_DETAILS = `jsonb_build_object('tags', to_jsonb(tags), 'dnd', dnd)`;
const NOTE_DETAILS = `jsonb_build_object('body', left(body, 280), 'userId', user_id)`;
const BOOKED_DETAILS = `jsonb_build_object('title', title, 'startTime', start_time,
  'status', status)`;

/** The dedupe key `sm_record_activity` makes, over a row of `inserted`. */
const dedupeKey = (recordType: string, kind: string, version: string, details: string) =>
  `left('${recordType}:' || id, 120) || ':' || ${kind} || ':' ` +
  `|| md5(COALESCE(${version}::text, '') || ${details}::text)`;

/** The dedupe key of a creation entry `down` stores again from its row. */
export const rowKey = (recordType: string, kind: string) =>
  `left('${recordType}:' || id, 120) || ':${kind}:row'`;

const statementFunction = (name: string, body: string) => `
  CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${body};
    RETURN NULL;
  END $$`;

/** Inserted tasks: only those found completed record something; the transition table's order. */
export const TASKS_INSERTED = statementFunction(
  'sm_tasks_inserted_activity',
  `INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                 occurred_at, details, dedupe_key)
   SELECT location_id, contact_id, 'task.completed', 'task', id,
          date_trunc('milliseconds', COALESCE(completed_at, source_version_at)),
          ${TASK_DETAILS},
          ${dedupeKey('task', `'task.completed'`, 'source_version_at', TASK_DETAILS)}
   FROM inserted WHERE deleted_at IS NULL AND completed
   ON CONFLICT (location_id, dedupe_key) DO NOTHING`,
);

const APPOINTMENT_STATUS_KIND = `CASE lower(status) WHEN 'cancelled' THEN 'appointment.cancelled'
  WHEN 'showed' THEN 'appointment.showed' ELSE 'appointment.no-show' END`;
const STATUS_DETAILS = `jsonb_build_object('title', title, 'status', status,
  'startTime', start_time)`;

/** Inserted appointments: only a status that says what happened records something. */
export const APPOINTMENTS_INSERTED = statementFunction(
  'sm_appointments_inserted_activity',
  `INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                 occurred_at, details, dedupe_key)
   SELECT location_id, contact_id, ${APPOINTMENT_STATUS_KIND}, 'appointment', id,
          date_trunc('milliseconds', source_version_at), ${STATUS_DETAILS},
          ${dedupeKey('appointment', APPOINTMENT_STATUS_KIND, 'source_version_at', STATUS_DETAILS)}
   FROM inserted
   WHERE deleted_at IS NULL AND lower(status) IN ('cancelled', 'showed', 'noshow')
   ON CONFLICT (location_id, dedupe_key) DO NOTHING`,
);

/** `OLD.first_version_at IS NULL`: the row was a tombstone only, and this write shows it. */
const UPDATE_FUNCTIONS = [
  `CREATE OR REPLACE FUNCTION sm_contact_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    added text[];
    removed text[];
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.id, 'contact', NEW.id, 'contact.deleted',
          NEW.deleted_at, NEW.deleted_at, '{}'::jsonb);
      END IF;
      RETURN NULL;
    END IF;
    IF OLD.first_version_at IS NULL THEN RETURN NULL; END IF;
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
  END $$`,
  `CREATE OR REPLACE FUNCTION sm_task_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    was_deleted boolean := OLD.deleted_at IS NOT NULL;
    is_first_live boolean := OLD.first_version_at IS NULL;
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
          'task.deleted', NEW.deleted_at, NEW.deleted_at,
          jsonb_build_object('title', NEW.title));
      END IF;
      RETURN NULL;
    END IF;

    IF was_deleted AND NOT is_first_live THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.created', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title, 'dueDate', NEW.due_date));
    ELSIF NOT was_deleted AND NEW.due_date IS DISTINCT FROM OLD.due_date THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.due-date-changed', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title, 'from', OLD.due_date, 'to', NEW.due_date));
    END IF;

    IF NEW.completed AND (NOT OLD.completed OR was_deleted) THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.completed', COALESCE(NEW.completed_at, NEW.source_version_at),
        NEW.source_version_at, jsonb_build_object('title', NEW.title));
    ELSIF NOT NEW.completed AND OLD.completed THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'task', NEW.id,
        'task.reopened', NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('title', NEW.title));
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE OR REPLACE FUNCTION sm_note_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'note', NEW.id,
          'note.deleted', NEW.deleted_at, NEW.deleted_at, '{}'::jsonb);
      END IF;
      RETURN NULL;
    END IF;
    IF OLD.first_version_at IS NULL THEN RETURN NULL; END IF;

    IF OLD.deleted_at IS NOT NULL THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'note', NEW.id, 'note.added',
        COALESCE(NEW.ghl_date_added, NEW.source_version_at), NEW.source_version_at,
        jsonb_build_object('body', left(NEW.body, 280), 'userId', NEW.user_id));
    ELSIF NEW.body IS DISTINCT FROM OLD.body THEN
      PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'note', NEW.id, 'note.edited',
        NEW.source_version_at, NEW.source_version_at,
        jsonb_build_object('body', left(NEW.body, 280), 'userId', NEW.user_id));
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE OR REPLACE FUNCTION sm_appointment_activity() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    status_now varchar := lower(COALESCE(NEW.status, ''));
    status_changed boolean;
  BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
      IF OLD.deleted_at IS NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'appointment', NEW.id,
          'appointment.deleted', NEW.deleted_at, NEW.deleted_at,
          jsonb_build_object('title', NEW.title, 'startTime', NEW.start_time));
      END IF;
      RETURN NULL;
    END IF;

    IF OLD.first_version_at IS NULL OR OLD.deleted_at IS NOT NULL THEN
      IF OLD.first_version_at IS NOT NULL THEN
        PERFORM sm_record_activity(NEW.location_id, NEW.contact_id, 'appointment', NEW.id,
          'appointment.booked', NEW.source_version_at, NEW.source_version_at,
          jsonb_build_object('title', NEW.title, 'startTime', NEW.start_time,
                             'status', NEW.status));
      END IF;
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
  END $$`,
];

/**
 * down: the derived entries stored again, as the insert triggers wrote them, but with a dedupe
 * key ending in `:row` (no later write makes an insert's key again), by which `up` knows them.
 * The due dates keep the one key per task they had.
 */
const STORED_AGAIN = [
  storedAgain('contact.created', 'contacts', {
    contactColumn: 'id',
    occurredAt: 'COALESCE(ghl_date_added, first_version_at)',
    details: CONTACT_DETAILS,
  }),
  storedAgain('task.created', 'contact_tasks', {
    occurredAt: 'first_version_at',
    details: TASK_CREATED_DETAILS,
  }),
  storedAgain('task.due', 'contact_tasks', {
    occurredAt: 'due_date',
    details: TASK_DETAILS,
    dedupeKey: `left('task:' || id, 120) || ':task.due'`,
    where: 'due_date IS NOT NULL',
  }),
  storedAgain('note.added', 'contact_notes', {
    occurredAt: 'COALESCE(ghl_date_added, first_version_at)',
    details: NOTE_DETAILS,
  }),
  storedAgain('appointment.booked', 'contact_appointments', {
    occurredAt: 'first_version_at',
    details: BOOKED_DETAILS,
  }),
];

function storedAgain(
  kind: string,
  table: string,
  entry: {
    contactColumn?: string;
    occurredAt: string;
    details: string;
    dedupeKey?: string;
    where?: string;
  },
): string {
  const recordType = kind.split('.')[0];

  return `INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                 occurred_at, details, dedupe_key)
   SELECT location_id, ${entry.contactColumn ?? 'contact_id'}, '${kind}', '${recordType}', id,
          date_trunc('milliseconds', ${entry.occurredAt}), ${entry.details},
          ${entry.dedupeKey ?? rowKey(recordType, kind)}
   FROM ${table} WHERE first_version_at IS NOT NULL AND ${entry.where ?? 'true'}
   ON CONFLICT (location_id, dedupe_key) DO NOTHING`;
}
