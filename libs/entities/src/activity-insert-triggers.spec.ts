import { useScratchDatabase } from '../test/scratch-database';

const LOCATION = 'SMactivityInsert0001';

describe('what an insert into the record tables leaves the timeline', () => {
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
  const insertTasks = (contactId: string) =>
    scratch.db.query(
      `INSERT INTO contact_tasks AS t (location_id, id, contact_id, title, due_date, completed,
                                       completed_at, source_version_at, first_version_at,
                                       deleted_at, synced_at)
       VALUES ($1, $2 || 'A', $2, 'Call', '2025-01-10', true, '2025-01-02', '2025-01-01',
               '2025-01-01', NULL, '2025-01-01'),
              ($1, $2 || 'B', $2, 'Quote', NULL, false, NULL, '2025-01-01', '2025-01-01', NULL,
               '2025-01-01'),
              ($1, $2 || 'C', $2, 'Visit', NULL, true, NULL, '2025-01-03', '2025-01-03', NULL,
               '2025-01-03'),
              ($1, $2 || 'Gone', $2, 'Gone', NULL, true, NULL, '2025-01-01', NULL, '2025-01-01',
               '2025-01-01')
       ON CONFLICT (location_id, id) DO NOTHING`,
      [LOCATION, contactId],
    );

  const firstSight = async (table: string, column: string, contactId: string) => {
    const rows: { id: string; seen: string | null }[] = await scratch.db.query(
      `SELECT id, ${column}::text AS seen FROM ${table}
       WHERE location_id = $1 AND contact_id = $2 ORDER BY id`,
      [LOCATION, contactId],
    );

    return Object.fromEntries(rows.map((row) => [row.id, row.seen?.slice(0, 10) ?? null]));
  };

  it("stores nothing of inserted tasks, and keeps a live completed one's completion", async () => {
    await insertTasks('rowOrder');

    expect(await timeline('rowOrder')).toEqual([]);
    expect(await firstSight('contact_tasks', 'completed_at_first_sight', 'rowOrder')).toEqual({
      rowOrderA: '2025-01-02',
      rowOrderB: null,
      rowOrderC: '2025-01-03',
      rowOrderGone: null,
    });
  });

  it('moves no completion seen at insert, and stores the ones seen later', async () => {
    await insertTasks('later');
    const setCompleted = (id: string, completed: boolean, at: string) =>
      scratch.db.query(
        `UPDATE contact_tasks
         SET completed = $3, completed_at = CASE WHEN $3 THEN $4::timestamptz END,
             source_version_at = $4
         WHERE location_id = $1 AND id = $2`,
        [LOCATION, id, completed, at],
      );

    await setCompleted('laterA', false, '2025-02-01');
    await setCompleted('laterA', true, '2025-02-02');
    await setCompleted('laterB', true, '2025-02-03');

    expect(await firstSight('contact_tasks', 'completed_at_first_sight', 'later')).toMatchObject({
      laterA: '2025-01-02',
      laterB: null,
    });
    expect(await timeline('later')).toEqual([
      'laterA task.reopened',
      'laterA task.completed',
      'laterB task.completed',
    ]);
  });

  it('stores nothing of inserted contacts and notes, which their rows tell', async () => {
    await scratch.db.query(
      `INSERT INTO contacts (location_id, id, tags, dnd, source_version_at, first_version_at,
                             synced_at)
       VALUES ($1, 'quiet', ARRAY['solar'], false, '2025-01-01', '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );
    await scratch.db.query(
      `INSERT INTO contact_notes (location_id, id, contact_id, body, source_version_at,
                                  first_version_at, synced_at)
       VALUES ($1, 'note1', 'quiet', 'Hello', '2025-01-01', '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );

    expect(await timeline('quiet')).toEqual([]);
  });

  it("keeps an inserted appointment's status only where it says what happened", async () => {
    await scratch.db.query(
      `INSERT INTO contact_appointments (location_id, id, contact_id, title, status,
                                         source_version_at, deleted_at, synced_at)
       VALUES ($1, 'appt1', 'mixed', 'Survey', 'booked', '2025-01-01', NULL, '2025-01-01'),
              ($1, 'appt2', 'mixed', 'Install', 'noshow', '2025-01-01', NULL, '2025-01-01'),
              ($1, 'appt3', 'mixed', 'Call', 'Cancelled', '2025-01-01', NULL, '2025-01-01'),
              ($1, 'appt4', 'mixed', 'Gone', 'showed', '2025-01-01', '2025-01-01', '2025-01-01')`,
      [LOCATION],
    );

    expect(await timeline('mixed')).toEqual([]);
    expect(await firstSight('contact_appointments', 'status_at_first_sight', 'mixed')).toEqual({
      appt1: null,
      appt2: 'noshow',
      appt3: 'Cancelled',
      appt4: null,
    });
  });

  it('gives a live row written without its first version the one it is written at', async () => {
    const insert = (id: string, deletedAt: string | null) =>
      scratch.db.query(
        `INSERT INTO contact_notes (location_id, id, contact_id, body, source_version_at,
                                    deleted_at, synced_at)
         VALUES ($1, $2, 'unmarked', 'Hello', '2025-01-01', $3, '2025-01-01')`,
        [LOCATION, id, deletedAt],
      );
    await insert('live', null);
    await insert('tombstone', '2025-01-01');
    await insert('shown', '2025-01-01');
    await scratch.db.query(
      `UPDATE contact_notes SET deleted_at = NULL, source_version_at = '2025-01-04'
       WHERE location_id = $1 AND id = 'shown'`,
      [LOCATION],
    );

    const rows: { id: string; first: string | null }[] = await scratch.db.query(
      `SELECT id, to_char(first_version_at AT TIME ZONE 'UTC', 'MM-DD') AS first
       FROM contact_notes WHERE location_id = $1 AND contact_id = 'unmarked' ORDER BY id`,
      [LOCATION],
    );
    expect(rows).toEqual([
      { id: 'live', first: '01-01' },
      { id: 'shown', first: '01-04' },
      { id: 'tombstone', first: null },
    ]);
  });
});
