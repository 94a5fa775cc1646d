import { DataSource } from 'typeorm';

import { HealthScoreFactor } from '@sm/entities';
import { eventually } from '@sm/testing';

import { HealthScoreService } from '../src/health-score/health-score.service';
import { useScratchDatabase } from './support/scratch-database';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIRST_RUN = new Date('2026-03-10T09:00:00.000Z');
const NIGHTLY_RUN = new Date(FIRST_RUN.getTime() + 6 * HOUR);

const contactId = (n: number) => `contact-${String(n).padStart(4, '0')}`;
const contactIds = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => contactId(from + index));

interface CurrentRow {
  contact_id: string;
  score: number;
  factors: HealthScoreFactor[];
  trigger: string;
  computed_at: Date;
}

describe('HealthScoreService rescoring many contacts', () => {
  const scratch = useScratchDatabase();
  let dataSource: DataSource;
  let scores: HealthScoreService;

  beforeAll(() => {
    dataSource = scratch.dataSource;
    scores = new HealthScoreService(dataSource);
  });

  /** Contacts as the sync engine leaves them: every other one has an email, every third is warm. */
  const addContacts = (locationId: string, count: number) =>
    dataSource.query(
      `INSERT INTO contacts (location_id, id, email, tags, source_version_at, first_version_at,
                             synced_at)
       SELECT $1, 'contact-' || lpad(n::text, 4, '0'),
              CASE WHEN n % 2 = 0 THEN 'c' || n || '@example.com' END,
              CASE WHEN n % 3 = 0 THEN ARRAY['warm'] ELSE '{}'::text[] END, now(), now(), now()
       FROM generate_series(1, $2::int) AS n`,
      [locationId, count],
    );
  const addNote = (locationId: string, contact: string, addedAt: Date) =>
    dataSource.query(
      `INSERT INTO contact_notes (location_id, id, contact_id, ghl_date_added,
         source_version_at, first_version_at, synced_at)
       VALUES ($1, gen_random_uuid()::text, $2, $3, now(), now(), now())`,
      [locationId, contact, addedAt],
    );
  const addOverdueTask = (locationId: string, contact: string, dueDate: Date) =>
    dataSource.query(
      `INSERT INTO contact_tasks (location_id, id, contact_id, due_date, source_version_at,
         first_version_at, synced_at)
       VALUES ($1, gen_random_uuid()::text, $2, $3, now(), now(), now())`,
      [locationId, contact, dueDate],
    );
  /** Contacts marked deleted, as the sync engine stores a tombstone. */
  const tombstone = (locationId: string, ids: string[]) =>
    dataSource.query(
      `UPDATE contacts SET deleted_at = now() WHERE location_id = $1 AND id = ANY($2)`,
      [locationId, ids],
    );
  const currentRows = async (locationId: string): Promise<Map<string, CurrentRow>> => {
    const rows: CurrentRow[] = await dataSource.query(
      `SELECT contact_id, score, factors, trigger, computed_at FROM contact_health_scores
       WHERE location_id = $1`,
      [locationId],
    );

    return new Map(rows.map((row) => [row.contact_id, row]));
  };
  /** How many history rows each contact has, for the contacts that have any. */
  const historyCounts = async (locationId: string): Promise<Map<string, number>> => {
    const rows: { contact_id: string; count: number }[] = await dataSource.query(
      `SELECT contact_id, count(*)::int AS count FROM contact_health_score_history
       WHERE location_id = $1 GROUP BY contact_id`,
      [locationId],
    );

    return new Map(rows.map((row) => [row.contact_id, row.count]));
  };
  const waitingLocks = async () => {
    const [row]: { waiting: number }[] = await dataSource.query(
      `SELECT count(*)::int AS waiting FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );

    return row.waiting;
  };
  const pointsOf = (row: CurrentRow | undefined) =>
    Object.fromEntries((row?.factors ?? []).map((factor) => [factor.factor, factor.points]));

  it('writes a current row per contact, history only for those whose points moved', async () => {
    const location = 'SMbatchRescore0001';
    await addContacts(location, 600);
    await addNote(location, contactId(20), new Date(FIRST_RUN.getTime() - DAY));
    const everyone = contactIds(1, 600);
    await scores.recomputeContacts(location, everyone, 'sync', FIRST_RUN);

    await dataSource.query(
      `UPDATE contacts SET email = 'new@example.com' WHERE location_id = $1 AND id = $2`,
      [location, contactId(7)],
    );
    await addOverdueTask(location, contactId(10), new Date(FIRST_RUN.getTime() - DAY));
    await addNote(location, contactId(11), FIRST_RUN);
    await scores.recomputeContacts(location, everyone, 'sync', NIGHTLY_RUN);

    const current = await currentRows(location);
    expect(current.size).toBe(600);
    expect([...current.values()].every((row) => row.trigger === 'sync')).toBe(true);
    expect(
      [...current.values()].every((row) => row.computed_at.getTime() === NIGHTLY_RUN.getTime()),
    ).toBe(true);
    const history = await historyCounts(location);
    expect(history.size).toBe(600);
    const rescoredTwice = [...history].filter(([, count]) => count > 1).map(([id]) => id);
    expect(rescoredTwice.sort()).toEqual([contactId(7), contactId(10), contactId(11)]);
    expect(pointsOf(current.get(contactId(7))).reachability).toBe(15);
    expect(pointsOf(current.get(contactId(10))).overdueTasks).toBe(13.3);
    expect(pointsOf(current.get(contactId(11))).recency).toBe(30);
    // Six hours older, the note still gives every point: the detail moved, the points did not.
    const recency = current.get(contactId(20))?.factors.find((f) => f.factor === 'recency');
    expect(recency).toMatchObject({ points: 30, detail: { daysSinceLastTouch: 1.3 } });
  });

  it('keeps the newest score and its history row identical, score and factors', async () => {
    const location = 'SMbatchRescore0002';
    await addContacts(location, 3);

    await scores.recomputeContacts(location, contactIds(1, 3), 'settings', FIRST_RUN);

    const latest: CurrentRow[] = await dataSource.query(
      `SELECT contact_id, score, factors, trigger, computed_at FROM contact_health_score_history
       WHERE location_id = $1 ORDER BY contact_id`,
      [location],
    );
    const current = await currentRows(location);
    expect(latest.map((row) => row.contact_id)).toEqual(contactIds(1, 3));
    for (const row of latest) expect(current.get(row.contact_id)).toEqual(row);
    expect(current.get(contactId(2))).toMatchObject({ score: 35, trigger: 'settings' });
  });

  it('writes no duplicate history when two overlapping batches run at once', async () => {
    for (const round of [1, 2, 3]) {
      const location = `SMbatchOverlap000${round}`;
      await addContacts(location, 400);

      await Promise.all([
        scores.recomputeContacts(location, contactIds(1, 300), 'sync', FIRST_RUN),
        scores.recomputeContacts(location, contactIds(101, 400).reverse(), 'sync', FIRST_RUN),
      ]);

      const history = await historyCounts(location);
      expect(history.size).toBe(400);
      expect([...history.values()].every((count) => count === 1)).toBe(true);
      expect((await currentRows(location)).size).toBe(400);
    }
  });

  it('lets overlapping batches that wait on each other finish, without a deadlock', async () => {
    const location = 'SMbatchOverlap0004';
    await addContacts(location, 400);
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    // A contact both batches hold: each has locked part of its batch when it reaches this one.
    await holder.query('SELECT pg_advisory_xact_lock(hashtext($1), abs(hashtext($2) % 64))', [
      `health-score:${location}`,
      contactId(200),
    ]);

    // Opposite orders: locks taken in the order given would meet in the middle.
    const both = Promise.all([
      scores.recomputeContacts(location, contactIds(1, 300), 'sync', FIRST_RUN),
      scores.recomputeContacts(location, contactIds(101, 400).reverse(), 'sync', FIRST_RUN),
    ]);
    await eventually(
      async () => ((await waitingLocks()) >= 2 ? true : undefined),
      10_000,
      'both batches waiting for a contact lock',
    );
    // At most one lock per stripe and batch (Postgres' lock table is shared and small).
    const [{ held }] = await dataSource.query(
      `SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND granted`,
    );
    expect(held).toBeLessThanOrEqual(2 * 64 + 1);
    await holder.commitTransaction();
    await holder.release();
    await both;

    const history = await historyCounts(location);
    expect(history.size).toBe(400);
    expect([...history.values()].every((count) => count === 1)).toBe(true);
  });

  it('takes the score of a deleted or unknown contact away, and keeps its history', async () => {
    const location = 'SMbatchDeleted0001';
    await addContacts(location, 5);
    expect(await scores.recomputeLocation(location, 'sync')).toBe(5);

    await tombstone(location, [contactId(3)]);
    await scores.recomputeContacts(location, [...contactIds(1, 5), 'never-synced'], 'sync');

    const current = await currentRows(location);
    expect([...current.keys()].sort()).toEqual([
      contactId(1),
      contactId(2),
      contactId(4),
      contactId(5),
    ]);
    expect((await historyCounts(location)).get(contactId(3))).toBe(1);
  });

  it('rescores a contact listed twice in one call once', async () => {
    const location = 'SMbatchTwice000001';
    await addContacts(location, 2);

    await scores.recomputeContacts(location, [contactId(1), contactId(2), contactId(1)], 'sync');

    expect((await currentRows(location)).size).toBe(2);
    expect((await historyCounts(location)).get(contactId(1))).toBe(1);
  });

  it('scores a refreshed contact with its live fields, history only when points move', async () => {
    const location = 'SMbatchRefresh0001';
    await addContacts(location, 1);
    const live = { email: 'ada@example.com', phone: null, dnd: false, tags: ['hot'] };

    const first = await scores.scoreWithContact(location, contactId(1), live, 'refresh');
    await scores.scoreWithContact(location, contactId(1), live, 'refresh');
    const cold = await scores.scoreWithContact(
      location,
      contactId(1),
      { ...live, tags: ['cold'] },
      'refresh',
    );

    expect(first?.score).toBe(50);
    expect(cold?.score).toBe(37);
    const current = (await currentRows(location)).get(contactId(1));
    expect(current).toMatchObject({ score: cold?.score, trigger: 'refresh' });
    expect((await historyCounts(location)).get(contactId(1))).toBe(2);
  });

  /** Settings as an admin's save stores them, without the rescore it starts. */
  const storeSettings = (locationId: string, recency: number) =>
    dataSource.query(
      `INSERT INTO health_score_settings (location_id, settings, updated_at)
       VALUES ($1, $2::jsonb, now())
       ON CONFLICT (location_id) DO UPDATE SET settings = excluded.settings, updated_at = now()`,
      [
        locationId,
        JSON.stringify({
          weights: {
            recency,
            overdueTasks: 20,
            nextAppointment: 20,
            reachability: 50 - recency,
            stageTags: 10,
          },
        }),
      ],
    );
  const recencyWeights = async (locationId: string) =>
    new Set(
      [...(await currentRows(locationId)).values()].map(
        (row) => row.factors.find((factor) => factor.factor === 'recency')?.weight,
      ),
    );

  it('scores with the settings stored when the batch takes its locks, not before', async () => {
    const location = 'SMbatchSettings001';
    await addContacts(location, 20);
    await storeSettings(location, 40);
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(
      'SELECT pg_advisory_xact_lock(hashtext($1), stripe) FROM generate_series(0, 63) AS stripe',
      [`health-score:${location}`],
    );

    // A rescore that started with the weights at 40 waits for its locks ...
    const rescore = scores.recomputeLocation(location, 'settings');
    await eventually(
      async () => ((await waitingLocks()) >= 1 ? true : undefined),
      10_000,
      'the rescore waiting for its locks',
    );
    // ... while another save stores 10 (its own rescore would come after this one).
    await storeSettings(location, 10);
    await holder.commitTransaction();
    await holder.release();
    await rescore;

    expect(await recencyWeights(location)).toEqual(new Set([10]));
  });

  it('drops the scores of deleted contacts on a location rescore, keeps history', async () => {
    const location = 'SMbatchTombstone01';
    await addContacts(location, 6);
    await scores.recomputeLocation(location, 'sync');
    // Tombstoned by a full sync, which announces them only in its location event.
    await tombstone(location, [contactId(2), contactId(5)]);

    expect(await scores.recomputeLocation(location, 'sync')).toBe(4);

    expect([...(await currentRows(location)).keys()].sort()).toEqual([
      contactId(1),
      contactId(3),
      contactId(4),
      contactId(6),
    ]);
    expect((await historyCounts(location)).get(contactId(5))).toBe(1);
  });

  it('gives a contact tombstoned while GHL was asked no score on its refresh', async () => {
    const location = 'SMbatchRefresh0002';
    await addContacts(location, 1);
    await scores.recomputeContacts(location, [contactId(1)], 'sync');
    await tombstone(location, [contactId(1)]);
    const live = { email: 'ada@example.com', phone: null, dnd: false, tags: ['hot'] };

    const score = await scores.scoreWithContact(location, contactId(1), live, 'refresh');

    expect(score).toBeNull();
    expect((await currentRows(location)).size).toBe(0);
  });
});
