import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The timeline rows of inserted records are written once per statement, not once per row.
 *
 * A first sync inserts tens of thousands of records in statements of a hundred or more rows, and
 * the row-level triggers paid a PL/pgSQL call, and one INSERT into the timeline, per row and per
 * kind of change. The insert triggers now run once per statement over its transition table
 * (`REFERENCING NEW TABLE`) and write all of the statement's timeline rows in one INSERT: the
 * same rows (kind, time, details, dedupe key) as the row-level functions wrote, in the same
 * order (row by row, each row's kinds in the order the row function recorded them). Updates
 * keep their row-level triggers (the contacts one with its WHEN gate): an update's rows are few,
 * and it compares each row with its old version.
 */
export class ActivityInsertTriggers1764880000000 implements MigrationInterface {
  name = 'ActivityInsertTriggers1764880000000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of INSERT_TRIGGERS) {
      await db.query(table.functionSql);
      await db.query(`DROP TRIGGER ${table.rowTrigger} ON ${table.name}`);
      if (table.updateTrigger) {
        await db.query(
          `CREATE TRIGGER ${table.updateTrigger} AFTER UPDATE ON ${table.name}
           FOR EACH ROW EXECUTE FUNCTION ${table.rowFunction}()`,
        );
      }
      await db.query(
        `CREATE TRIGGER ${table.name}_activity_insert AFTER INSERT ON ${table.name}
         REFERENCING NEW TABLE AS inserted
         FOR EACH STATEMENT EXECUTE FUNCTION ${table.function}()`,
      );
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of INSERT_TRIGGERS) {
      await db.query(`DROP TRIGGER ${table.name}_activity_insert ON ${table.name}`);
      if (table.updateTrigger)
        await db.query(`DROP TRIGGER ${table.updateTrigger} ON ${table.name}`);
      const events = table.updateTrigger ? 'INSERT OR UPDATE' : 'INSERT';
      await db.query(
        `CREATE TRIGGER ${table.rowTrigger} AFTER ${events} ON ${table.name}
         FOR EACH ROW EXECUTE FUNCTION ${table.rowFunction}()`,
      );
      await db.query(`DROP FUNCTION ${table.function}()`);
    }
  }
}

/**
 * One timeline event of an inserted row, as a SELECT over `inserted_rows` (the transition table,
 * numbered in its order as `n`). `ord` orders a row's events; `version` and `details` make the
 * dedupe key, as `sm_record_activity` makes it.
 */
interface InsertEvent {
  ord: number;
  kind: string;
  recordType: string;
  contactColumn: string;
  occurredAt: string;
  version: string;
  details: string;
  where?: string;
}

/** The timeline rows of a statement's events, written in one INSERT. */
function insertEvents(events: InsertEvent[], onConflict: string): string {
  const selects = events.map(
    (event) => `
      SELECT n, ${event.ord} AS ord, location_id, ${event.contactColumn} AS contact_id,
             ${event.kind} AS kind, '${event.recordType}'::varchar AS record_type,
             id AS record_id, ${event.occurredAt} AS occurred_at, ${event.version} AS version,
             ${event.details} AS details
      FROM inserted_rows WHERE ${event.where ?? 'true'}`,
  );

  return `
    WITH inserted_rows AS (
      SELECT row_number() OVER () AS n, * FROM inserted WHERE deleted_at IS NULL
    )
    INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                  occurred_at, details, dedupe_key)
    SELECT location_id, contact_id, kind, record_type, record_id,
           date_trunc('milliseconds', COALESCE(occurred_at, version, now())), details,
           CASE WHEN kind = 'task.due' THEN left('task:' || record_id, 120) || ':task.due'
                ELSE left(record_type || ':' || record_id, 120) || ':' || kind || ':'
                       || md5(COALESCE(version::text, '') || details::text) END
    FROM (${selects.join('\n      UNION ALL')}) AS events
    ORDER BY n, ord
    ON CONFLICT (location_id, dedupe_key) ${onConflict}`;
}

const statementFunction = (name: string, body: string) => `
  CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${body};
    RETURN NULL;
  END $$`;

const CONTACT_EVENTS: InsertEvent[] = [
  {
    ord: 1,
    kind: `'contact.created'`,
    recordType: 'contact',
    contactColumn: 'id',
    occurredAt: 'COALESCE(ghl_date_added, source_version_at)',
    version: 'source_version_at',
    details: `jsonb_build_object('tags', to_jsonb(tags), 'dnd', dnd)`,
  },
];

/**
 * `task.due` is one row per task, moved with its due date: the only event whose stored row a
 * later write replaces (its dedupe key carries no version). For every other kind the WHERE is
 * false, which leaves an existing row alone, as DO NOTHING does.
 */
const TASK_EVENTS: InsertEvent[] = [
  {
    ord: 1,
    kind: `'task.created'`,
    recordType: 'task',
    contactColumn: 'contact_id',
    occurredAt: 'source_version_at',
    version: 'source_version_at',
    details: `jsonb_build_object('title', title, 'dueDate', due_date)`,
  },
  {
    ord: 2,
    kind: `'task.due'`,
    recordType: 'task',
    contactColumn: 'contact_id',
    occurredAt: 'due_date',
    version: 'NULL::timestamptz',
    details: `jsonb_build_object('title', title)`,
    where: 'due_date IS NOT NULL',
  },
  {
    ord: 3,
    kind: `'task.completed'`,
    recordType: 'task',
    contactColumn: 'contact_id',
    occurredAt: 'COALESCE(completed_at, source_version_at)',
    version: 'source_version_at',
    details: `jsonb_build_object('title', title)`,
    where: 'completed',
  },
];
const TASK_DUE_MOVES = `DO UPDATE SET occurred_at = excluded.occurred_at, details = excluded.details
    WHERE excluded.kind = 'task.due'
      AND (contact_activity.occurred_at IS DISTINCT FROM excluded.occurred_at
           OR contact_activity.details IS DISTINCT FROM excluded.details)`;

const NOTE_EVENTS: InsertEvent[] = [
  {
    ord: 1,
    kind: `'note.added'`,
    recordType: 'note',
    contactColumn: 'contact_id',
    occurredAt: 'COALESCE(ghl_date_added, source_version_at)',
    version: 'source_version_at',
    details: `jsonb_build_object('body', left(body, 280), 'userId', user_id)`,
  },
];

/** An appointment inserted as cancelled, showed or no-show also records that status. */
const APPOINTMENT_EVENTS: InsertEvent[] = [
  {
    ord: 1,
    kind: `'appointment.booked'`,
    recordType: 'appointment',
    contactColumn: 'contact_id',
    occurredAt: 'source_version_at',
    version: 'source_version_at',
    details: `jsonb_build_object('title', title, 'startTime', start_time, 'status', status)`,
  },
  {
    ord: 2,
    kind: `CASE lower(status) WHEN 'cancelled' THEN 'appointment.cancelled'
                WHEN 'showed' THEN 'appointment.showed' ELSE 'appointment.no-show' END`,
    recordType: 'appointment',
    contactColumn: 'contact_id',
    occurredAt: 'source_version_at',
    version: 'source_version_at',
    details: `jsonb_build_object('title', title, 'status', status, 'startTime', start_time)`,
    where: `lower(status) IN ('cancelled', 'showed', 'noshow')`,
  },
];

export interface InsertTrigger {
  name: string;
  /** The row-level trigger that covered inserts (and, for the children, updates too). */
  rowTrigger: string;
  rowFunction: string;
  /** The row-level trigger that keeps covering updates, where it was the same one. */
  updateTrigger?: string;
  function: string;
  functionSql: string;
}

export const INSERT_TRIGGERS: InsertTrigger[] = [
  {
    name: 'contacts',
    rowTrigger: 'contacts_activity',
    rowFunction: 'sm_contact_activity',
    function: 'sm_contacts_inserted_activity',
    functionSql: statementFunction(
      'sm_contacts_inserted_activity',
      insertEvents(CONTACT_EVENTS, 'DO NOTHING'),
    ),
  },
  {
    name: 'contact_tasks',
    rowTrigger: 'contact_tasks_activity',
    rowFunction: 'sm_task_activity',
    updateTrigger: 'contact_tasks_activity_update',
    function: 'sm_tasks_inserted_activity',
    functionSql: statementFunction(
      'sm_tasks_inserted_activity',
      insertEvents(TASK_EVENTS, TASK_DUE_MOVES),
    ),
  },
  {
    name: 'contact_notes',
    rowTrigger: 'contact_notes_activity',
    rowFunction: 'sm_note_activity',
    updateTrigger: 'contact_notes_activity_update',
    function: 'sm_notes_inserted_activity',
    functionSql: statementFunction(
      'sm_notes_inserted_activity',
      insertEvents(NOTE_EVENTS, 'DO NOTHING'),
    ),
  },
  {
    name: 'contact_appointments',
    rowTrigger: 'contact_appointments_activity',
    rowFunction: 'sm_appointment_activity',
    updateTrigger: 'contact_appointments_activity_update',
    function: 'sm_appointments_inserted_activity',
    functionSql: statementFunction(
      'sm_appointments_inserted_activity',
      insertEvents(APPOINTMENT_EVENTS, 'DO NOTHING'),
    ),
  },
];
