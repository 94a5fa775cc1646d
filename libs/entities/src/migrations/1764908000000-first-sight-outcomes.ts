import { MigrationInterface, QueryRunner } from 'typeorm';

import {
  APPOINTMENTS_INSERTED,
  rowKey,
  TASK_DETAILS,
  TASKS_INSERTED,
} from './1764906000000-derived-creation-entries';

/**
 * The last timeline entries copied at insert are read from the rows too: a task SolarMarket
 * first saw completed, an appointment it first saw cancelled, showed or no-show. A first sync
 * of 10,000 contacts stored 13,000 of them, and the statement triggers that wrote them (with
 * the transition tables they need, a copy of every inserted task and appointment) took 350 ms
 * of Postgres' 1.9 s in the sync bench. No insert trigger on the record tables is left.
 *
 * The insert keeps what it saw in its own column: `completed_at_first_sight`, the completion a
 * live task was inserted with, and `status_at_first_sight`, the status of a live appointment
 * inserted with one that says what happened. Nothing moves them after the insert: a completion
 * or a status seen by a later write (one that shows a row first stored as a tombstone too) is
 * still stored by the update triggers, as before. The worker's upsert sets them; a BEFORE
 * trigger sets them for another writer (the release before this one, still running through a
 * rolling deploy, or a hand-written INSERT), its WHEN clause checked without a function call.
 *
 * Rows stored before keep their stored entries and get no column values: which of their
 * completions were seen at insert is not told by the entries, and none is lost or doubled.
 */
export class FirstSightOutcomes1764908000000 implements MigrationInterface {
  name = 'FirstSightOutcomes1764908000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE contact_tasks ADD COLUMN completed_at_first_sight timestamptz');
    await db.query('ALTER TABLE contact_appointments ADD COLUMN status_at_first_sight varchar');
    for (const fallback of FALLBACKS) {
      await db.query(fallback.functionSql);
      await db.query(
        `CREATE TRIGGER ${fallback.trigger} BEFORE INSERT ON ${fallback.table}
         FOR EACH ROW WHEN (${fallback.when}) EXECUTE FUNCTION ${fallback.function}()`,
      );
    }
    for (const trigger of INSERT_TRIGGERS) {
      await db.query(`DROP TRIGGER ${trigger.name} ON ${trigger.table}`);
      await db.query(`DROP FUNCTION ${trigger.function}()`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const sql of STORED_AGAIN) await db.query(sql);
    for (const trigger of INSERT_TRIGGERS) {
      await db.query(trigger.functionSql);
      await db.query(
        `CREATE TRIGGER ${trigger.name} AFTER INSERT ON ${trigger.table}
         REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
         EXECUTE FUNCTION ${trigger.function}()`,
      );
    }
    for (const fallback of FALLBACKS) {
      await db.query(`DROP TRIGGER ${fallback.trigger} ON ${fallback.table}`);
      await db.query(`DROP FUNCTION ${fallback.function}()`);
    }
    await db.query('ALTER TABLE contact_appointments DROP COLUMN status_at_first_sight');
    await db.query('ALTER TABLE contact_tasks DROP COLUMN completed_at_first_sight');
  }
}

const INSERT_TRIGGERS = [
  {
    table: 'contact_tasks',
    name: 'contact_tasks_activity_insert',
    function: 'sm_tasks_inserted_activity',
    functionSql: TASKS_INSERTED,
  },
  {
    table: 'contact_appointments',
    name: 'contact_appointments_activity_insert',
    function: 'sm_appointments_inserted_activity',
    functionSql: APPOINTMENTS_INSERTED,
  },
];

const FALLBACKS = [
  {
    table: 'contact_tasks',
    trigger: 'contact_tasks_first_sight',
    function: 'sm_task_first_sight',
    when: 'NEW.completed_at_first_sight IS NULL AND NEW.completed AND NEW.deleted_at IS NULL',
    functionSql: `
      CREATE FUNCTION sm_task_first_sight() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.completed_at_first_sight := COALESCE(NEW.completed_at, NEW.source_version_at);
        RETURN NEW;
      END $$`,
  },
  {
    table: 'contact_appointments',
    trigger: 'contact_appointments_first_sight',
    function: 'sm_appointment_first_sight',
    when: `NEW.status_at_first_sight IS NULL AND NEW.deleted_at IS NULL
           AND lower(NEW.status) IN ('cancelled', 'showed', 'noshow')`,
    functionSql: `
      CREATE FUNCTION sm_appointment_first_sight() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.status_at_first_sight := NEW.status;
        RETURN NEW;
      END $$`,
  },
];

/** An outcome's entry kind, as the insert trigger named it. */
const OUTCOME_KIND = `CASE lower(status_at_first_sight)
  WHEN 'cancelled' THEN 'appointment.cancelled' WHEN 'showed' THEN 'appointment.showed'
  ELSE 'appointment.no-show' END`;

/**
 * down: the entries the columns tell stored again, as the insert triggers wrote them, but with
 * a dedupe key ending in `:row` (no later write makes an insert's key again).
 */
const STORED_AGAIN = [
  `INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                 occurred_at, details, dedupe_key)
   SELECT location_id, contact_id, 'task.completed', 'task', id,
          date_trunc('milliseconds', completed_at_first_sight), ${TASK_DETAILS},
          ${rowKey('task', 'task.completed')}
   FROM contact_tasks WHERE completed_at_first_sight IS NOT NULL
   ON CONFLICT (location_id, dedupe_key) DO NOTHING`,
  `INSERT INTO contact_activity (location_id, contact_id, kind, record_type, record_id,
                                 occurred_at, details, dedupe_key)
   SELECT location_id, contact_id, ${OUTCOME_KIND}, 'appointment', id,
          date_trunc('milliseconds', first_version_at),
          jsonb_build_object('title', title, 'status', status_at_first_sight,
                             'startTime', start_time),
          left('appointment:' || id, 120) || ':' || ${OUTCOME_KIND} || ':row'
   FROM contact_appointments WHERE status_at_first_sight IS NOT NULL
   ON CONFLICT (location_id, dedupe_key) DO NOTHING`,
];
