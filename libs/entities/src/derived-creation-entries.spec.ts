import type { DataSource } from 'typeorm';

import { undoThroughMigration, useScratchDatabase } from '../test/scratch-database';

/** Undoes the migration under test, and first those that came after it. */
const undoThroughTheMigration = (db: DataSource) =>
  undoThroughMigration(db, 'DerivedCreationEntries1764906000000');

const LOCATION = 'SMderivedEntries0001';

/**
 * The migration that reads creation entries from the record rows, run over rows the earlier
 * triggers recorded: each record keeps the time of its first stored creation entry as its first
 * version, and the entries the rows now tell are dropped; a restore's are kept.
 */
describe('the migration to creation entries read from the records', () => {
  const scratch = useScratchDatabase('derived');

  const stored = async (): Promise<string[]> =>
    (
      await scratch.db.query(
        `SELECT record_id || ' ' || kind || ' ' || to_char(occurred_at AT TIME ZONE 'UTC',
                  'MM-DD') AS entry
         FROM contact_activity WHERE location_id = $1 ORDER BY id`,
        [LOCATION],
      )
    ).map((row: { entry: string }) => row.entry);

  const firstVersions = async (table: string): Promise<Record<string, string | null>> => {
    const rows: { id: string; first: string | null }[] = await scratch.db.query(
      `SELECT id, to_char(first_version_at AT TIME ZONE 'UTC', 'MM-DD') AS first FROM ${table}
       WHERE location_id = $1 ORDER BY id`,
      [LOCATION],
    );

    return Object.fromEntries(rows.map((row) => [row.id, row.first]));
  };

  beforeAll(async () => {
    await undoThroughTheMigration(scratch.db);
    const write = (sql: string) => scratch.db.query(sql, [LOCATION]);
    await write(
      `INSERT INTO contacts (location_id, id, tags, source_version_at, synced_at)
       VALUES ($1, 'ada', '{}', '2025-01-01', '2025-01-01')`,
    );
    await write(
      `INSERT INTO contact_tasks (location_id, id, contact_id, title, due_date, completed,
                                  source_version_at, deleted_at, synced_at)
       VALUES ($1, 'call', 'ada', 'Call', '2025-02-01', true, '2025-01-02', NULL, '2025-01-02'),
              ($1, 'late', 'ada', NULL, NULL, false, '2025-01-03', '2025-01-03', '2025-01-03')`,
    );
    // A tombstone shown by GHL on the 4th; a note deleted on the 5th and shown again on the 6th
    // (its entries then are both at its dateAdded, the 2nd).
    await write(
      `UPDATE contact_tasks SET deleted_at = NULL, title = 'Late', source_version_at = '2025-01-04'
       WHERE location_id = $1 AND id = 'late'`,
    );
    await write(
      `INSERT INTO contact_notes (location_id, id, contact_id, body, ghl_date_added,
                                  source_version_at, synced_at)
       VALUES ($1, 'hello', 'ada', 'Hello', '2025-01-02', '2025-01-02', '2025-01-02')`,
    );
    await write(
      `UPDATE contact_notes SET deleted_at = '2025-01-05' WHERE location_id = $1 AND id = 'hello'`,
    );
    await write(
      `UPDATE contact_notes SET deleted_at = NULL, source_version_at = '2025-01-06'
       WHERE location_id = $1 AND id = 'hello'`,
    );
    await write(
      `INSERT INTO contacts (location_id, id, tags, source_version_at, deleted_at, synced_at)
       VALUES ($1, 'gone', '{}', '2025-01-07', '2025-01-07', '2025-01-07')`,
    );
    // A contact stored as a tombstone, shown on the 8th, deleted again on the 9th.
    await write(
      `INSERT INTO contacts (location_id, id, tags, source_version_at, deleted_at, synced_at)
       VALUES ($1, 'twice', '{}', '2025-01-07', '2025-01-07', '2025-01-07')`,
    );
    await write(
      `UPDATE contacts SET deleted_at = NULL, tags = '{a}', source_version_at = '2025-01-08'
       WHERE location_id = $1 AND id = 'twice'`,
    );
    await write(
      `UPDATE contacts SET deleted_at = '2025-01-09' WHERE location_id = $1 AND id = 'twice'`,
    );

    await scratch.db.runMigrations({ transaction: 'each' });
  });

  it('keeps each record its first creation time, and none for a tombstone', async () => {
    expect(await firstVersions('contacts')).toEqual({ ada: '01-01', gone: null, twice: '01-08' });
    expect(await firstVersions('contact_tasks')).toEqual({ call: '01-02', late: '01-04' });
    expect(await firstVersions('contact_notes')).toEqual({ hello: '01-02' });
  });

  it('drops the entries the rows tell, keeping completions, deletes and restores', async () => {
    expect(await stored()).toEqual([
      'call task.completed 01-02',
      'hello note.deleted 01-05',
      'hello note.added 01-02',
      'twice contact.restored 01-08',
      'twice contact.tags-added 01-08',
      'twice contact.deleted 01-09',
    ]);
  });

  it('records the next restore of a contact once live and deleted when it ran', async () => {
    await scratch.db.query(
      `UPDATE contacts SET deleted_at = NULL, source_version_at = '2025-01-10'
       WHERE location_id = $1 AND id = 'twice'`,
      [LOCATION],
    );

    expect((await stored()).filter((entry) => entry.startsWith('twice')).pop()).toBe(
      'twice contact.restored 01-10',
    );
  });

  it('keeps a re-created note through two rounds of undoing and redoing', async () => {
    const noteAddedCount = async () =>
      (await stored()).filter((entry) => entry.startsWith('hello note.added')).length;
    const counts: number[] = [];

    for (let round = 0; round < 2; round += 1) {
      await undoThroughTheMigration(scratch.db);
      counts.push(await noteAddedCount());
      await scratch.db.runMigrations({ transaction: 'each' });
    }

    expect(counts).toEqual([2, 2]);
    expect(await firstVersions('contact_notes')).toEqual({ hello: '01-02' });
  });

  it('stores them all again when undone', async () => {
    await undoThroughTheMigration(scratch.db);

    expect((await stored()).sort()).toEqual(
      [
        'ada contact.created 01-01',
        'call task.completed 01-02',
        'call task.created 01-02',
        'call task.due 02-01',
        'hello note.added 01-02',
        'hello note.added 01-02',
        'hello note.deleted 01-05',
        'late task.created 01-04',
        'twice contact.created 01-08',
        'twice contact.restored 01-08',
        'twice contact.tags-added 01-08',
        'twice contact.deleted 01-09',
        'twice contact.restored 01-10',
      ].sort(),
    );
    await scratch.db.runMigrations({ transaction: 'each' });
  });
});

/**
 * A task written before the activity triggers existed (never recorded as created), then renamed
 * under them: its only stored entry is its due date, years after the migration runs.
 */
describe('the migration to creation entries, for a task never recorded as created', () => {
  const scratch = useScratchDatabase('derived_due');

  beforeAll(async () => {
    await undoThroughTheMigration(scratch.db);
    await scratch.db.transaction(async (manager) => {
      await manager.query('SET LOCAL session_replication_role = replica');
      await manager.query(
        `INSERT INTO contacts (location_id, id, tags, source_version_at, synced_at)
         VALUES ($1, 'ada', '{}', '2025-01-01', '2025-01-01')`,
        [LOCATION],
      );
      await manager.query(
        `INSERT INTO contact_tasks (location_id, id, contact_id, title, due_date, completed,
                                    source_version_at, synced_at)
         VALUES ($1, 'call', 'ada', 'Call', '2099-06-01', false, '2025-01-02', '2025-01-02')`,
        [LOCATION],
      );
    });
    await scratch.db.query(
      `UPDATE contact_tasks SET title = 'Call Ada', source_version_at = '2025-03-01'
       WHERE location_id = $1 AND id = 'call'`,
      [LOCATION],
    );

    await scratch.db.runMigrations({ transaction: 'each' });
  });

  it('takes its version as its first, not its due date', async () => {
    const [task] = await scratch.db.query(
      `SELECT to_char(first_version_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first
       FROM contact_tasks WHERE location_id = $1 AND id = 'call'`,
      [LOCATION],
    );

    expect(task).toEqual({ first: '2025-03-01' });
  });
});
