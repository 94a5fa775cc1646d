import type { DataSource } from 'typeorm';

import { undoThroughMigration, useScratchDatabase } from '../test/scratch-database';

/** Undoes the migration under test, and first those that came after it. */
const undoThroughTheMigration = (db: DataSource) =>
  undoThroughMigration(db, 'FirstSightOutcomes1764908000000');

const LOCATION = 'SMfirstSightOutcome1';

/**
 * The migration that reads first-sight completions and appointment outcomes from the rows: what
 * was stored before stays stored, what is inserted after is kept in the rows, and undoing it
 * stores the rows' entries again, once however often it is undone and redone.
 */
describe('the migration to completions and outcomes read from the records', () => {
  const scratch = useScratchDatabase('first_sight');

  const stored = async (): Promise<string[]> =>
    (
      await scratch.db.query(
        `SELECT record_id || ' ' || kind || ' ' || to_char(occurred_at AT TIME ZONE 'UTC',
                  'MM-DD') || ' ' || COALESCE(details->>'status', '-') AS entry
         FROM contact_activity WHERE location_id = $1 ORDER BY record_id, kind`,
        [LOCATION],
      )
    ).map((row: { entry: string }) => row.entry);

  const insertRecords = async (suffix: string, day: string) => {
    await scratch.db.query(
      `INSERT INTO contact_tasks (location_id, id, contact_id, title, completed, completed_at,
                                  source_version_at, synced_at)
       VALUES ($1, 'done' || $2, 'ada', 'Call', true, $3, $3, $3),
              ($1, 'open' || $2, 'ada', 'Quote', false, NULL, $3, $3)`,
      [LOCATION, suffix, day],
    );
    await scratch.db.query(
      `INSERT INTO contact_appointments (location_id, id, contact_id, title, status,
                                         source_version_at, synced_at)
       VALUES ($1, 'survey' || $2, 'ada', 'Survey', 'showed', $3, $3),
              ($1, 'visit' || $2, 'ada', 'Visit', 'confirmed', $3, $3)`,
      [LOCATION, suffix, day],
    );
  };

  beforeAll(async () => {
    await undoThroughTheMigration(scratch.db);
    await insertRecords('Before', '2025-01-02');
    await scratch.db.runMigrations({ transaction: 'each' });
    await insertRecords('After', '2025-01-05');
  });

  it('keeps what the insert triggers stored, and stores nothing of later inserts', async () => {
    expect(await stored()).toEqual([
      'doneBefore task.completed 01-02 -',
      'surveyBefore appointment.showed 01-02 showed',
    ]);
  });

  it('keeps in the rows inserted after it what their insert saw', async () => {
    const [task] = await scratch.db.query(
      `SELECT to_char(completed_at_first_sight AT TIME ZONE 'UTC', 'MM-DD') AS seen
       FROM contact_tasks WHERE location_id = $1 AND id = 'doneAfter'`,
      [LOCATION],
    );
    const [appointment] = await scratch.db.query(
      `SELECT status_at_first_sight AS seen FROM contact_appointments
       WHERE location_id = $1 AND id = 'surveyAfter'`,
      [LOCATION],
    );

    expect([task.seen, appointment.seen]).toEqual(['01-05', 'showed']);
  });

  it('stores them again when undone, once through two rounds of undoing and redoing', async () => {
    const rounds: string[][] = [];
    for (let round = 0; round < 2; round += 1) {
      await undoThroughTheMigration(scratch.db);
      rounds.push(await stored());
      await scratch.db.runMigrations({ transaction: 'each' });
    }

    const expected = [
      'doneAfter task.completed 01-05 -',
      'doneBefore task.completed 01-02 -',
      'surveyAfter appointment.showed 01-05 showed',
      'surveyBefore appointment.showed 01-02 showed',
    ];
    expect(rounds).toEqual([expected, expected]);
    expect(await stored()).toEqual(expected);
  });
});
