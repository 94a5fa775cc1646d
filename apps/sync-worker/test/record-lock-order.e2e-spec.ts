import type { DataSource, QueryRunner } from 'typeorm';

import type { GhlContact, GhlTask } from '@sm/ghl-client';

import { contactRow, FetchContext, taskRow } from '../src/records/record-mappers';
import type { RecordWriter } from '../src/records/record-writer.service';
import { useScratchRecords } from './support/scratch-records';

const LOCATION = 'locLockOrder0001';
const BEFORE = '2026-03-01T00:00:00Z';
const AFTER = '2026-03-02T00:00:00Z';

const fetchedAt = (iso: string): FetchContext => ({
  locationId: LOCATION,
  fetchedAt: new Date(iso),
  timeZone: 'UTC',
});
const contact = (id: string) =>
  contactRow({ id, locationId: LOCATION, dateUpdated: BEFORE } as GhlContact, fetchedAt(BEFORE));
const task = (id: string, contactId: string, iso: string, title = 'Call back') =>
  taskRow({ id, contactId, title, completed: false } as GhlTask, contactId, fetchedAt(iso));
/** `task-m0000` … : ids between `task-a` and `task-z`. */
const middleTasks = (contactId: string, iso: string, title?: string) =>
  Array.from({ length: 999 }, (_, index) =>
    task(`task-m${String(index).padStart(4, '0')}`, contactId, iso, title),
  );

/** 'committed', or the SQLSTATE that ended the transaction (40P01: deadlock). */
const outcomeOf = (work: Promise<unknown>) =>
  work.then(
    () => 'committed',
    (error: { code?: string }) => error.code ?? String(error),
  );

/**
 * Every writer of record rows locks them in id order, so that two transactions never each hold
 * a row the other waits for. Each case sets up the interleaving that deadlocked before: one
 * transaction holds a row and asks for a second while another holds the second and asks for the
 * first (Postgres then aborts one of them, 40P01, and its sync attempt fails).
 */
describe('the lock order of record writes', () => {
  const scratch = useScratchRecords();
  let dataSource: DataSource;
  let records: RecordWriter;

  beforeAll(() => {
    ({ dataSource, records } = scratch);
  });

  /** A transaction held open by the test: the task walk's, one statement at a time. */
  async function openWalk(): Promise<QueryRunner> {
    const walk = dataSource.createQueryRunner();
    await walk.startTransaction();

    return walk;
  }

  async function finishWalk(walk: QueryRunner, lastWrite: Promise<unknown>): Promise<string> {
    const outcome = await outcomeOf(lastWrite);
    await (outcome === 'committed' ? walk.commitTransaction() : walk.rollbackTransaction());
    await walk.release();

    return outcome;
  }

  const aMoment = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('a child write of over 1,000 tasks takes them in id order across its statements', async () => {
    await records.transaction(async (manager) => {
      await records.upsertContacts(manager, [contact('c-many')]);
      await records.upsertChildren(manager, 'tasks', [
        task('task-a', 'c-many', BEFORE),
        ...middleTasks('c-many', BEFORE),
        task('task-z', 'c-many', BEFORE),
      ]);
    });
    // GHL listed task-z first and task-a last: 1,001 rows, two statements.
    const listed = [
      task('task-z', 'c-many', AFTER, 'New'),
      ...middleTasks('c-many', AFTER, 'New'),
      task('task-a', 'c-many', AFTER, 'New'),
    ];
    const walk = await openWalk();
    await records.upsertChildren(walk.manager, 'tasks', [task('task-a', 'c-many', AFTER, 'Walk')]);

    const childWrite = outcomeOf(
      records.transaction((manager) =>
        records.writeChildBatch(
          manager,
          LOCATION,
          [{ contactId: 'c-many', rows: { tasks: listed }, contactVersion: new Date(BEFORE) }],
          ['tasks'],
          new Date(AFTER),
        ),
      ),
    );
    await aMoment();
    const walkOutcome = await finishWalk(
      walk,
      records.upsertChildren(walk.manager, 'tasks', [task('task-z', 'c-many', AFTER, 'Walk')]),
    );

    expect([walkOutcome, await childWrite]).toEqual(['committed', 'committed']);
  });

  it('a child write takes the tasks it tombstones in id order with those it lists', async () => {
    await records.transaction(async (manager) => {
      await records.upsertContacts(manager, [contact('c-unlisted')]);
      await records.upsertChildren(manager, 'tasks', [
        task('task-gone', 'c-unlisted', BEFORE),
        task('task-kept', 'c-unlisted', BEFORE),
      ]);
    });
    const walk = await openWalk();
    await records.upsertChildren(walk.manager, 'tasks', [
      task('task-gone', 'c-unlisted', AFTER, 'Walk'),
    ]);

    // GHL lists only task-kept now: the write upserts it and tombstones task-gone, the walk's.
    const listedAt = new Date('2026-03-03T00:00:00Z');
    const childWrite = outcomeOf(
      records.transaction((manager) =>
        records.writeChildren(
          manager,
          LOCATION,
          {
            contactId: 'c-unlisted',
            rows: { tasks: [task('task-kept', 'c-unlisted', listedAt.toISOString())] },
            contactVersion: new Date(BEFORE),
          },
          listedAt,
        ),
      ),
    );
    await aMoment();
    const walkOutcome = await finishWalk(
      walk,
      records.upsertChildren(walk.manager, 'tasks', [
        task('task-kept', 'c-unlisted', AFTER, 'Walk'),
      ]),
    );

    expect([walkOutcome, await childWrite]).toEqual(['committed', 'committed']);
    const stored: { id: string; title: string; deleted_at: Date | null }[] = await dataSource.query(
      `SELECT id, title, deleted_at FROM contact_tasks
         WHERE location_id = $1 AND contact_id = 'c-unlisted' ORDER BY id`,
      [LOCATION],
    );
    expect(stored).toEqual([
      { id: 'task-gone', title: 'Walk', deleted_at: listedAt },
      { id: 'task-kept', title: 'Call back', deleted_at: null },
    ]);
  });

  it('two child writes of the same contacts wait for each other', async () => {
    await records.transaction((manager) =>
      records.upsertContacts(manager, [contact('c-twice-1'), contact('c-twice-2')]),
    );
    const batch = ['c-twice-1', 'c-twice-2'].map((contactId) => ({
      contactId,
      rows: { notes: [] },
      contactVersion: new Date(BEFORE),
    }));
    const childWrite = () =>
      outcomeOf(
        records.transaction(async (manager) => {
          await records.writeChildBatch(manager, LOCATION, batch, ['notes'], new Date(BEFORE));
          // Both hold their contact locks past the other's first statement.
          await manager.query('SELECT pg_sleep(0.3)');
        }),
      );

    expect(await Promise.all([childWrite(), childWrite()])).toEqual(['committed', 'committed']);
  });

  it("a contact's delete tombstones its children in id order, not in the table's", async () => {
    await records.transaction(async (manager) => {
      await records.upsertContacts(manager, [contact('c-deleted')]);
      // task-y stored before task-b: a scan meets task-y first.
      await records.upsertChildren(manager, 'tasks', [task('task-y', 'c-deleted', BEFORE)]);
      await records.upsertChildren(manager, 'tasks', [task('task-b', 'c-deleted', BEFORE)]);
    });
    const walk = await openWalk();
    await records.upsertChildren(walk.manager, 'tasks', [
      task('task-b', 'c-deleted', AFTER, 'Walk'),
    ]);

    const deleted = outcomeOf(
      records.transaction((manager) =>
        records.tombstoneContact(manager, LOCATION, 'c-deleted', new Date(AFTER)),
      ),
    );
    await aMoment();
    const walkOutcome = await finishWalk(
      walk,
      records.upsertChildren(walk.manager, 'tasks', [task('task-y', 'c-deleted', AFTER, 'Walk')]),
    );

    expect([walkOutcome, await deleted]).toEqual(['committed', 'committed']);
  });
});
