import { useScratchDatabase } from '../test/scratch-database';

const LOCATION = 'SMactivityInsert0001';

describe('the activity triggers on inserts (once per statement)', () => {
  const scratch = useScratchDatabase('insert');

  const timeline = async (contactId: string): Promise<string[]> =>
    (
      await scratch.db.query(
        `SELECT record_id || ' ' || kind AS entry FROM contact_activity
         WHERE location_id = $1 AND contact_id = $2 ORDER BY id`,
        [LOCATION, contactId],
      )
    ).map((row: { entry: string }) => row.entry);

  /** Four tasks of one contact in one statement; ids are the contact's id and a letter. */
  const insertTasks = (contactId: string, dueDate: string) =>
    scratch.db.query(
      `INSERT INTO contact_tasks AS t (location_id, id, contact_id, title, due_date, completed,
                                       completed_at, source_version_at, synced_at)
       VALUES ($1, $2 || 'A', $2, 'Call', $3, true, '2025-01-02', '2025-01-01', '2025-01-01'),
              ($1, $2 || 'B', $2, 'Quote', NULL, false, NULL, '2025-01-01', '2025-01-01'),
              ($1, $2 || 'C', $2, 'Visit', $3, false, NULL, '2025-01-01', '2025-01-01'),
              ($1, $2 || 'Gone', $2, 'Gone', NULL, false, NULL, '2025-01-01', '2025-01-01')
       ON CONFLICT (location_id, id) DO UPDATE SET due_date = excluded.due_date
       WHERE false`,
      [LOCATION, contactId, dueDate],
    );

  it("records each row's changes in row order, one statement for many rows", async () => {
    await scratch.db.query(
      `INSERT INTO contact_tasks (location_id, id, contact_id, title, source_version_at,
                                  deleted_at, synced_at)
       VALUES ($1, 'rowOrderGone', 'rowOrder', 'Gone', '2025-01-01', '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );
    await insertTasks('rowOrder', '2025-01-10');

    expect(await timeline('rowOrder')).toEqual([
      'rowOrderA task.created',
      'rowOrderA task.due',
      'rowOrderA task.completed',
      'rowOrderB task.created',
      'rowOrderC task.created',
      'rowOrderC task.due',
    ]);
  });

  it('records nothing twice when the same rows are inserted again', async () => {
    await insertTasks('replayed', '2025-01-10');
    const first = await timeline('replayed');
    await scratch.db.query(
      `DELETE FROM contact_tasks WHERE location_id = $1 AND contact_id = 'replayed'`,
      [LOCATION],
    );

    await insertTasks('replayed', '2025-01-10');

    expect(await timeline('replayed')).toEqual(first);
  });

  it("moves a task's due entry when it is inserted again with another due date", async () => {
    await insertTasks('moved', '2025-01-10');
    await scratch.db.query(
      `DELETE FROM contact_tasks WHERE location_id = $1 AND contact_id = 'moved'`,
      [LOCATION],
    );

    await insertTasks('moved', '2025-01-20');
    const [due] = await scratch.db.query(
      `SELECT occurred_at FROM contact_activity
       WHERE location_id = $1 AND record_id = 'movedA' AND kind = 'task.due'`,
      [LOCATION],
    );

    expect((due.occurred_at as Date).toISOString()).toBe('2025-01-20T00:00:00.000Z');
  });

  it('records contacts, notes and appointments as the row triggers did', async () => {
    await scratch.db.query(
      `INSERT INTO contacts (location_id, id, tags, dnd, source_version_at, synced_at)
       VALUES ($1, 'mixed', ARRAY['solar'], false, '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );
    await scratch.db.query(
      `INSERT INTO contact_notes (location_id, id, contact_id, body, source_version_at, synced_at)
       VALUES ($1, 'note1', 'mixed', 'Hello', '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );
    await scratch.db.query(
      `INSERT INTO contact_appointments (location_id, id, contact_id, title, status,
                                         source_version_at, synced_at)
       VALUES ($1, 'appt1', 'mixed', 'Survey', 'booked', '2025-01-01', '2025-01-01'),
              ($1, 'appt2', 'mixed', 'Install', 'noshow', '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );

    expect(await timeline('mixed')).toEqual([
      'mixed contact.created',
      'note1 note.added',
      'appt1 appointment.booked',
      'appt2 appointment.booked',
      'appt2 appointment.no-show',
    ]);
  });
});
