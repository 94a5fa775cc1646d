import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { JobName, TaskCompletedJob } from '@sm/queues';
import { buildSyncCompletedEvent, SyncCompletedEvent, SyncCounts } from '@sm/sync-events';
import { jsonbParameter } from '@sm/platform';

import { CHILD_KINDS, ChildRows } from './child-records';
import { ContactVersion, needingChildren, StoredMark } from './needing-children';
import type { RecordRow } from './record-mappers';
import { ChildKind, ChildTables, ContactsTable, RecordTable } from './record-tables';
import { upsertRows, WrittenRow } from './upsert-rows';

/** One contact's children as fetched, and the contact version they belong to. */
export interface FetchedChildren {
  contactId: string;
  rows: Partial<ChildRows>;
  contactVersion: Date;
}

/** Children written or tombstoned. */
export interface ChildCounts {
  tasks: number;
  notes: number;
  appointments: number;
  tombstoned: number;
}

export interface ChildWriteResult {
  counts: ChildCounts;
  newlyCompletedTasks: WrittenRow[];
}

/** A location sync's listed contacts, with the children fetched for some of them. */
export interface ListedBatch {
  contacts: RecordRow[];
  fetched: FetchedChildren[];
  kinds: ChildKind[];
  /** When the first of the children was asked for. */
  listedAt: Date;
}

/** A batch's children written: in all, and per contact whose children changed. */
export interface ChildBatchResult {
  counts: ChildCounts;
  byContact: Map<string, ChildCounts>;
}

/**
 * Every write to SolarMarket's records goes through here: upserts that never let an older
 * version win, and tombstones that keep the row but mark it deleted.
 */
/**
 * How much later than a delete a fetch of the row may be stamped and still lose to it: GHL's
 * clock and ours drift apart by seconds, and a fetch is stamped after GHL served the row (after
 * the token and rate-budget waits, the field keys). A delete replayed or redelivered after GHL
 * showed the record again comes minutes to days later.
 */
const FETCH_STAMP_MARGIN = "interval '5 minutes'";

/** The outbox rows of a location run's held contact events (see `holdContactEvents`). */
export const HELD_CONTACT_EVENTS = 'sync-completed.held';

/**
 * How long a closed run's contact events may stay held (none should: closing a run releases or
 * drops them in the same transaction), and how long a run still marked running keeps its own.
 * A dead worker's run is closed by the location's next run or when its job is parked; a run
 * lost with Redis' data and never followed by another is what the day covers. A live run is
 * never older: a first sync of 100,000 contacts at GHL's rate limits takes about 7 hours.
 */
const HOLD_AFTER_CLOSE = "interval '1 hour'";
const HOLD_WHILE_RUNNING = "interval '1 day'";

/** A held row's payload: what one transaction of a location run wrote, per contact. */
interface HeldContactEvents {
  syncRunId: string;
  occurredAt: string;
  contacts: [contactId: string, counts: Partial<SyncCounts>][];
}

interface HeldRow {
  id: string;
  location_id: string;
  payload: HeldContactEvents;
}

/** The columns the sync's statements find record rows by. */
const LOOKUP_COLUMNS = new Set(['location_id', 'id', 'contact_id', 'deleted_at']);

@Injectable()
export class RecordWriter {
  private readonly logger = new Logger(RecordWriter.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Refreshes the planner's statistics of the record tables, for the columns the sync looks rows
   * up by (ANALYZE samples at most 30,000 rows a table, and blocks no reads or writes). Those of
   * every column took 2.5 times as long: 0.39 s of Postgres' time in a 10k sync, against 0.16 s.
   * The other columns' are autovacuum's to refresh. A role that may not analyze the tables only
   * loses speed.
   */
  async analyze(): Promise<void> {
    const tables = [ContactsTable, ...Object.values(ChildTables)].map((table) => {
      const lookups = table.columns.filter((column) => LOOKUP_COLUMNS.has(column));

      return `${table.name} (${lookups.join(', ')})`;
    });
    await this.dataSource.query(`ANALYZE ${tables.join(', ')}`).catch((error: unknown) => {
      this.logger.warn({ error: String(error) }, 'record tables not analyzed');
    });
  }

  upsertContacts(manager: EntityManager, rows: RecordRow[]): Promise<WrittenRow[]> {
    return upsertRows(manager, ContactsTable, rows);
  }

  upsertChildren(manager: EntityManager, kind: ChildKind, rows: RecordRow[]) {
    return upsertRows(manager, ChildTables[kind], rows);
  }

  /**
   * Writes one contact's children as GHL listed them at `listedAt`, as `writeChildBatch` writes a
   * batch's: nothing when the contact is tombstoned. Returns what changed, and the tasks this
   * write saw completed for the first time (`inserted` tells a task that appeared completed from
   * one that was open before).
   */
  async writeChildren(
    manager: EntityManager,
    locationId: string,
    fetched: FetchedChildren,
    listedAt: Date,
  ): Promise<ChildWriteResult & { isContactLive: boolean }> {
    const written = await this.writeLiveChildren(manager, locationId, [fetched], {
      kinds: CHILD_KINDS,
      listedAt,
    });
    const isNewlyCompleted = (row: WrittenRow) => row.completedAt?.getTime() === listedAt.getTime();

    return {
      counts: written.counts,
      newlyCompletedTasks: written.tasks.filter(isNewlyCompleted),
      isContactLive: written.liveIds.has(fetched.contactId),
    };
  }

  /**
   * Writes the children of many contacts at once (one statement per kind, whatever the number of
   * contacts), tombstones the ones of those kinds GHL no longer listed, and records each
   * contact's version as the one whose children are stored. `listedAt` is the earliest fetch of
   * the batch: a row written since by a newer fetch is never tombstoned here. Returns the counts,
   * in all and per contact whose children changed (which the caller announces in the same
   * transaction).
   */
  async writeChildBatch(
    manager: EntityManager,
    locationId: string,
    batch: FetchedChildren[],
    kinds: ChildKind[],
    listedAt: Date,
  ): Promise<ChildBatchResult> {
    const { counts, byContact } = await this.writeLiveChildren(manager, locationId, batch, {
      kinds,
      listedAt,
    });

    return { counts, byContact };
  }

  /**
   * A location sync's listed batch: its contacts and the children fetched for some of them,
   * written together. A contact this upsert inserts is inserted with its fetched mark (see
   * `ContactsTable`; set on its row here) and is live; the children of the others are written as
   * `writeChildBatch` writes them. Returns the contacts written and the children's counts, in
   * all and per contact.
   */
  async writeListedBatch(
    manager: EntityManager,
    locationId: string,
    batch: ListedBatch,
  ): Promise<ChildBatchResult & { contacts: WrittenRow[] }> {
    // Set in place, on rows of `contactRow`'s shape: copies made by a spread were of another,
    // and `rowsAsJson` took about twice as long to read them (CPU profiles of the 10k sync).
    const marks = new Map(batch.fetched.map((item) => [item.contactId, item.contactVersion]));
    for (const row of batch.contacts) row.children_version_at = marks.get(row.id as string) ?? null;
    const contacts = await upsertRows(manager, ContactsTable, batch.contacts);
    const inserted = new Set(contacts.filter((row) => row.inserted).map((row) => row.id));
    const { counts, byContact } = await this.writeLiveChildren(manager, locationId, batch.fetched, {
      kinds: batch.kinds,
      listedAt: batch.listedAt,
      insertedContacts: inserted,
    });

    return { contacts, counts, byContact };
  }

  /**
   * The children of the batch's live contacts written (see `lockLiveContacts`), each contact's
   * fetched mark set; those of tombstoned contacts are left out. Contacts this transaction
   * inserted (`insertedContacts`) are live and already marked: their rows are locked and were
   * inserted with the mark. Returns the counts, the tasks written and which contacts were live.
   *
   * Per kind, the rows GHL no longer listed are tombstoned after the upsert, by rows the upsert
   * has already locked: it is passed them as stored, in one id order with the listed ones. Locked
   * by the UPDATE alone, after the listed rows, they were taken out of id order, and a task sweep
   * holding an unlisted task while it waited for a listed one deadlocked with this write. Nor can
   * a `FOR UPDATE` of the unlisted rows come first: a listed row not stored yet is locked by its
   * insert, which would then come after them. Passed as read, a row is never newer than itself
   * (the contact locks keep a contact's delete from tombstoning it in between, and a child's own
   * delete never undoes a later fetch), so the upsert leaves it as it is.
   *
   * A contact inserted just now may still have children stored live, of every kind: no key ties
   * them to it. The task search stores tasks of contacts not stored yet; a child GHL lists under
   * one contact is stored under the contact its payload names; an uninstall's purge that races a
   * contact sync can leave that sync's note behind its contact's delete. So theirs are read too
   * (skipping the reads of notes and appointments for inserted contacts left such rows live after
   * GHL deleted them: a breaker's specs of the last two).
   */
  private async writeLiveChildren(
    manager: EntityManager,
    locationId: string,
    batch: FetchedChildren[],
    options: { kinds: ChildKind[]; listedAt: Date; insertedContacts?: Set<string> },
  ): Promise<ChildBatchResult & { tasks: WrittenRow[]; liveIds: Set<string> }> {
    const { kinds, listedAt } = options;
    const inserted = options.insertedContacts ?? new Set<string>();
    const counts = emptyChildCounts();
    const byContact = new Map<string, ChildCounts>();
    const stored = batch.filter((fetched) => !inserted.has(fetched.contactId));
    const liveIds = await this.lockLiveContacts(
      manager,
      locationId,
      stored.map((fetched) => fetched.contactId),
    );
    for (const contactId of inserted) liveIds.add(contactId);
    const kept = batch.filter((fetched) => liveIds.has(fetched.contactId));
    let tasks: WrittenRow[] = [];
    if (kept.length === 0) return { counts, byContact, tasks, liveIds };

    const contactIds = kept.map((fetched) => fetched.contactId);
    for (const kind of kinds) {
      const table = ChildTables[kind];
      const rows = kept.flatMap((fetched) => fetched.rows[kind] ?? []);
      const unlisted = await unlistedChildren(manager, table, {
        locationId,
        contactIds,
        listedIds: rows.map((row) => row.id as string),
        listedAt,
      });
      // The unlisted rows go through the upsert as they are stored: it changes nothing of them
      // but locks them in one id order with the listed rows (see `upsertRows`).
      const written = await upsertRows(manager, table, [...rows, ...unlisted]);
      counts[kind] = written.length;
      countByContact(byContact, kind, contactsOf(rows), written);
      if (kind === 'tasks') tasks = written;
      if (unlisted.length === 0) continue;

      const stale = await updateInIdOrder(manager, {
        table: table.name,
        set: 'deleted_at = $4, source_version_at = $4, synced_at = $4',
        where: `id = ANY($2::varchar[]) AND contact_id = ANY($3::varchar[])
                AND deleted_at IS NULL AND synced_at < $4`,
        parameters: [locationId, unlisted.map((row) => row.id as string), contactIds, listedAt],
      });
      counts.tombstoned += stale.length;
      countByContact(byContact, 'tombstoned', contactsOf(unlisted), stale);
    }
    const marked = kept.filter((fetched) => !inserted.has(fetched.contactId));
    await this.markChildrenFetched(manager, locationId, marked);

    return { counts, byContact, tasks, liveIds };
  }

  /**
   * Which of these contacts are stored and not tombstoned, locked until the transaction ends (in
   * id order, as every writer of record rows locks them, so that no two deadlock). Children
   * fetched before a contact's delete was stored must not be written live after it: the lock
   * makes a concurrent tombstone either come first (and the contact is left out here) or wait
   * for this write (and then tombstone its children too). The lock is the one the fetched
   * marks' UPDATE needs anyway: with a share lock, two writes of the same contacts each held
   * one and waited for the other's to upgrade it.
   */
  private async lockLiveContacts(
    manager: EntityManager,
    locationId: string,
    contactIds: string[],
  ): Promise<Set<string>> {
    if (contactIds.length === 0) return new Set();
    const rows: { id: string; deleted_at: Date | null }[] = await manager.query(
      `SELECT id, deleted_at FROM contacts
       WHERE location_id = $1 AND id = ANY($2::varchar[])
       ORDER BY id COLLATE "C" FOR NO KEY UPDATE`,
      [locationId, contactIds],
    );

    return new Set(rows.filter((row) => row.deleted_at === null).map((row) => row.id));
  }

  /**
   * Tombstones the children still live under tombstoned contacts of a location: those a write
   * that never saw the contact's tombstone (the task walk's) left behind. Returns how many, in
   * all and per contact.
   */
  async tombstoneChildrenOfDeletedContacts(
    manager: EntityManager,
    locationId: string,
    at: Date,
  ): Promise<{ tombstoned: number; byContact: Map<string, number> }> {
    const rows = await tombstoneInEachChildTable(manager, {
      set: 'deleted_at = $2, synced_at = $2, source_version_at = GREATEST(source_version_at, $2)',
      where: `deleted_at IS NULL AND contact_id IN (
                SELECT id FROM contacts WHERE location_id = $1 AND deleted_at IS NOT NULL)`,
      parameters: [locationId, at],
    });

    const byContact = new Map<string, number>();
    for (const { contactId } of rows) byContact.set(contactId, (byContact.get(contactId) ?? 0) + 1);

    return { tombstoned: rows.length, byContact };
  }

  /**
   * Records, per contact, the contact version whose children are now stored, and when they were
   * fetched (the children refresh takes the oldest).
   */
  async markChildrenFetched(
    manager: EntityManager,
    locationId: string,
    fetched: { contactId: string; contactVersion: Date }[],
  ): Promise<void> {
    if (fetched.length === 0) return;
    await manager.query(
      `UPDATE contacts AS c SET children_version_at = v.version, children_fetched_at = now()
       FROM unnest($2::varchar[], $3::timestamptz[]) AS v(id, version)
       WHERE c.location_id = $1 AND c.id = v.id`,
      [locationId, fetched.map((f) => f.contactId), fetched.map((f) => f.contactVersion)],
    );
  }

  /**
   * Of these listed contacts, those whose children are to be fetched before the batch is
   * written: the ones not stored, those whose children were fetched at another version than the
   * one the write leaves stored (the newer of the stored and the listed one), those named in
   * `alsoIds` (an event since the last run), or all of them when `all` is set. Each comes with
   * that version, which its fetched mark will record. Tombstoned ones are kept: the write may
   * show them again, and leaves out the children of those it does not.
   */
  async contactsNeedingChildren(
    locationId: string,
    listed: ContactVersion[],
    options: { all: boolean; alsoIds: string[] },
  ): Promise<ContactVersion[]> {
    if (listed.length === 0) return [];
    const stored: StoredMark[] = await this.dataSource.query(
      `SELECT id, source_version_at AS version, children_version_at AS marked FROM contacts
       WHERE location_id = $1 AND id = ANY($2::varchar[])`,
      [locationId, listed.map(({ id }) => id)],
    );

    return needingChildren(listed, stored, options);
  }

  /**
   * Marks a contact deleted as of `at`, unless the stored row is newer or was fetched after `at`.
   * A contact never seen gets a tombstone row, so that a late fetch from before the delete cannot
   * create it. Its children are tombstoned with it and its fetched mark is cleared: should GHL
   * show it again, even at the version stored before, its children are fetched again.
   *
   * The fetch time counts beside the version because a contact GHL shows again keeps GHL's
   * dateUpdated from before its delete: compared by version alone, the same delete (a webhook
   * GHL redelivers, a parked job replayed) tombstoned it again. A fetch up to
   * FETCH_STAMP_MARGIN after `at` still loses: the delete's time is GHL's clock (or a job's start,
   * before its waits), the fetch's is ours, stamped after GHL answered.
   *
   * TODO: a fetch that finds the stored version with the same content moves no fetch time (see
   * `upsertRows`), so a delete older than such a fetch, first applied after it (a parked job
   * replayed late), still tombstones a contact that was never tombstoned before that fetch.
   */
  async tombstoneContact(
    manager: EntityManager,
    locationId: string,
    contactId: string,
    at: Date,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO contacts AS t (location_id, id, source_version_at, deleted_at, synced_at)
       VALUES ($1, $2, $3, $3, $3)
       ON CONFLICT (location_id, id) DO UPDATE
         SET deleted_at = excluded.deleted_at, source_version_at = excluded.source_version_at,
             synced_at = excluded.synced_at, children_version_at = NULL
       WHERE t.deleted_at IS NULL AND t.source_version_at <= excluded.source_version_at
         AND t.synced_at <= excluded.synced_at + ${FETCH_STAMP_MARGIN}
       RETURNING id`,
      [locationId, contactId, at],
    );
    if (rows.length > 0) await this.tombstoneChildrenOf(manager, locationId, [contactId], at);

    return rows.length > 0;
  }

  /**
   * Marks one task, note or appointment deleted as of `at`, unless the stored row is newer or was
   * fetched more than FETCH_STAMP_MARGIN after `at` (an appointment GHL lists again keeps its
   * older dateUpdated: see `tombstoneContact`).
   */
  async tombstoneChild(
    manager: EntityManager,
    kind: ChildKind,
    locationId: string,
    contactId: string,
    id: string,
    at: Date,
  ): Promise<boolean> {
    const table = ChildTables[kind].name;
    const rows: unknown[] = await manager.query(
      `INSERT INTO ${table} AS t (location_id, id, contact_id, source_version_at, deleted_at,
                                  synced_at)
       VALUES ($1, $2, $3, $4, $4, $4)
       ON CONFLICT (location_id, id) DO UPDATE
         SET deleted_at = excluded.deleted_at, source_version_at = excluded.source_version_at,
             synced_at = excluded.synced_at
       WHERE t.deleted_at IS NULL AND t.source_version_at <= excluded.source_version_at
         AND t.synced_at <= excluded.synced_at + ${FETCH_STAMP_MARGIN}
       RETURNING id`,
      [locationId, id, contactId, at],
    );

    return rows.length > 0;
  }

  /**
   * Reconciliation after a complete walk: contacts GHL did not list, and that nothing wrote
   * since the walk began, are tombstoned with their children.
   */
  async tombstoneUnseenContacts(
    manager: EntityManager,
    locationId: string,
    seenIds: string[],
    walkStartedAt: Date,
    at: Date,
  ): Promise<number> {
    const rows = await updateInIdOrder(manager, {
      table: 'contacts',
      set: `deleted_at = $4, source_version_at = GREATEST(source_version_at, $4), synced_at = $4,
            children_version_at = NULL`,
      where: 'deleted_at IS NULL AND synced_at < $3 AND NOT (id = ANY($2::varchar[]))',
      parameters: [locationId, seenIds, walkStartedAt, at],
    });
    const ids = rows.map((row) => row.id);
    const children = ids.length ? await this.tombstoneChildrenOf(manager, locationId, ids, at) : 0;

    return ids.length + children;
  }

  /** Stores the event in the outbox, inside the caller's transaction. */
  addOutboxEvent(manager: EntityManager, event: SyncCompletedEvent): Promise<void> {
    return this.addOutboxEvents(manager, [event]);
  }

  /** Stores the events in the outbox in one statement, in their order, in the caller's. */
  async addOutboxEvents(manager: EntityManager, events: SyncCompletedEvent[]): Promise<void> {
    await insertOutboxRows(
      manager,
      events.map((event) => ({ locationId: event.locationId, type: event.type, payload: event })),
    );
  }

  /**
   * Stores, in the caller's transaction, the contact events of what one transaction of a location
   * run wrote, as one outbox row that the relay holds back. The run's location event, written by
   * its last transaction, announces the whole location and replaces them
   * (`dropHeldContactEvents`). A run that fails or dies before releases them to be published: in
   * the transaction that records its failure, in the one whose retry abandons it, or through the
   * relay after HOLD_AT_MOST (a run killed and never tried again). Announced by the last
   * transaction alone, the records of a run that died after some of its commits went
   * unannounced: its retry finds them unchanged. Published as they were written, a 10,000-contact
   * first sync made 27,000 events and took 35 s instead of 7, the relay and the consumers busy
   * beside it. A contact that a failed run wrote in two transactions (its row with its children,
   * its tasks from the task search) gets an event from each, which consumers take as they take
   * any redelivery (at least once, idempotent).
   */
  async holdContactEvents(
    manager: EntityManager,
    locationId: string,
    syncRunId: string,
    byContact: Map<string, Partial<SyncCounts>>,
  ): Promise<void> {
    if (byContact.size === 0) return;
    const held: HeldContactEvents = {
      syncRunId,
      occurredAt: new Date().toISOString(),
      contacts: [...byContact],
    };
    await insertOutboxRows(manager, [{ locationId, type: HELD_CONTACT_EVENTS, payload: held }]);
  }

  /** Drops a run's held contact events, in the transaction that writes its location event. */
  async dropHeldContactEvents(
    manager: EntityManager,
    locationId: string,
    syncRunId: string,
  ): Promise<void> {
    await manager.query(
      `DELETE FROM outbox_events
       WHERE published_at IS NULL AND event_type = $1 AND location_id = $2
         AND payload->>'syncRunId' = $3`,
      [HELD_CONTACT_EVENTS, locationId, syncRunId],
    );
  }

  /**
   * Turns the held contact events of these runs (one that failed, or that its retry abandoned)
   * into events for the relay, each dated when its records were committed.
   */
  async releaseHeldContactEvents(
    manager: EntityManager,
    locationId: string,
    syncRunIds: string[],
  ): Promise<void> {
    if (syncRunIds.length === 0) return;
    const held: HeldRow[] = await manager.query(
      `SELECT id, location_id, payload FROM outbox_events
       WHERE published_at IS NULL AND event_type = $1 AND location_id = $2
         AND payload->>'syncRunId' = ANY($3::text[])
       ORDER BY id FOR UPDATE`,
      [HELD_CONTACT_EVENTS, locationId, syncRunIds],
    );
    await this.release(manager, held);
  }

  /**
   * Releases the contact events held past their bound: those of a run no longer running, an
   * hour on, and those of a run still marked running a day after it began (its worker died and
   * nothing closed it). A live run keeps its own, however long it takes, so that its location
   * event alone announces it.
   */
  async releaseStaleContactEvents(manager: EntityManager): Promise<void> {
    const held: HeldRow[] = await manager.query(
      `SELECT e.id, e.location_id, e.payload FROM outbox_events e
       LEFT JOIN sync_runs r ON r.id = (e.payload->>'syncRunId')::uuid
       WHERE e.published_at IS NULL AND e.event_type = $1
         AND e.created_at < now() - ${HOLD_AFTER_CLOSE}
         AND (r.status IS DISTINCT FROM 'running' OR r.started_at < now() - ${HOLD_WHILE_RUNNING})
       ORDER BY e.id FOR UPDATE OF e`,
      [HELD_CONTACT_EVENTS],
    );
    await this.release(manager, held);
  }

  /**
   * TODO: a released event gets a new outbox id, so it is published after the events of its
   * contact written since its commit (a webhook's contact sync while the run went on): the order
   * per contact holds by publication, not by commit. Safe for now: consumers read the records on
   * an event (the README's consumers dedupe and re-read), so it costs them a redundant read, and
   * `occurredAt` keeps the commit time for those that compare.
   */
  private async release(manager: EntityManager, held: HeldRow[]): Promise<void> {
    if (held.length === 0) return;
    const events = held.flatMap(({ location_id, payload }) =>
      payload.contacts.map(([contactId, counts]) =>
        buildSyncCompletedEvent({
          locationId: location_id,
          scope: 'contact',
          contactId,
          trigger: 'location-sync',
          syncRunId: payload.syncRunId,
          counts,
          occurredAt: new Date(payload.occurredAt),
        }),
      ),
    );
    await this.addOutboxEvents(manager, events);
    await manager.query('DELETE FROM outbox_events WHERE id = ANY($1)', [
      held.map((row) => row.id),
    ]);
  }

  /**
   * Stores a task-completed notice in the outbox, inside the caller's transaction: the relay
   * adds its job once the write has committed. Added from inside the transaction, a job outlived
   * a write that rolled back; the retry, fetching later, saw the completion at another time and
   * added a second job of another id, and the team was told twice.
   */
  async addTaskCompletedNotices(
    manager: EntityManager,
    notices: Required<TaskCompletedJob>[],
  ): Promise<void> {
    await insertOutboxRows(
      manager,
      notices.map((notice) => ({
        locationId: notice.locationId,
        type: JobName.TaskCompleted,
        payload: notice,
      })),
    );
  }

  private async tombstoneChildrenOf(
    manager: EntityManager,
    locationId: string,
    contactIds: string[],
    at: Date,
  ): Promise<number> {
    const rows = await tombstoneInEachChildTable(manager, {
      set: 'deleted_at = $3, synced_at = $3, source_version_at = GREATEST(source_version_at, $3)',
      where: 'contact_id = ANY($2::varchar[]) AND deleted_at IS NULL',
      parameters: [locationId, contactIds, at],
    });

    return rows.length;
  }
}

const emptyChildCounts = (): ChildCounts => ({
  tasks: 0,
  notes: 0,
  appointments: 0,
  tombstoned: 0,
});

/** Each row's contact, by row id. */
const contactsOf = (rows: RecordRow[]) =>
  new Map(rows.map((row) => [row.id as string, row.contact_id as string]));

/** Adds the rows written (by id) to their contacts' counts of `kind`. */
function countByContact(
  byContact: Map<string, ChildCounts>,
  kind: keyof ChildCounts,
  contactOf: Map<string, string>,
  written: { id: string }[],
): void {
  for (const { id } of written) {
    const contactId = contactOf.get(id);
    if (contactId === undefined) continue;
    const counts = byContact.get(contactId) ?? emptyChildCounts();
    counts[kind] += 1;
    byContact.set(contactId, counts);
  }
}

/** Outbox rows in one statement; ids are drawn in the array's order, the relay's order. */
async function insertOutboxRows(
  manager: EntityManager,
  rows: { locationId: string; type: string; payload: unknown }[],
): Promise<void> {
  if (rows.length === 0) return;
  await manager.query(
    `INSERT INTO outbox_events (location_id, event_type, payload)
     SELECT item->>'location_id', item->>'event_type', item->'payload'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS rows(item, n)
     ORDER BY n`,
    [
      jsonbParameter(
        rows.map((row) => ({
          location_id: row.locationId,
          event_type: row.type,
          payload: row.payload,
        })),
      ),
    ],
  );
}

/**
 * The live rows of these contacts that GHL did not list at `listedAt` and that nothing wrote
 * since, as stored: the ones a child write tombstones. Read without a lock; the upsert takes it.
 *
 * TODO: a row another writer (a task sweep) inserts after this read, fetched before `listedAt`,
 * is not tombstoned by this write though GHL no longer listed it; the next sync of the contact
 * or sweep tombstones it. Reading again under the lock would take it out of id order.
 */
function unlistedChildren(
  manager: EntityManager,
  table: RecordTable,
  where: { locationId: string; contactIds: string[]; listedIds: string[]; listedAt: Date },
): Promise<RecordRow[]> {
  return manager.query(
    `SELECT ${table.columns.join(', ')} FROM ${table.name}
     WHERE location_id = $1 AND contact_id = ANY($2::varchar[]) AND deleted_at IS NULL
       AND synced_at < $4 AND NOT (id = ANY($3::varchar[]))`,
    [where.locationId, where.contactIds, where.listedIds, where.listedAt],
  );
}

/** Runs a tombstoning update on each child table; answers the rows it touched. */
async function tombstoneInEachChildTable(
  manager: EntityManager,
  update: Omit<LocationUpdate, 'table'>,
): Promise<{ id: string; contactId: string }[]> {
  const touched: { id: string; contactId: string }[] = [];
  for (const table of Object.values(ChildTables) as RecordTable[]) {
    const rows = await updateInIdOrder(manager, { ...update, table: table.name }, 'contact_id');
    touched.push(...rows.map((row) => ({ id: row.id, contactId: row.contact_id as string })));
  }

  return touched;
}

/** An UPDATE of one location's rows of a record table; `$1` is the location. */
interface LocationUpdate {
  table: string;
  set: string;
  where: string;
  parameters: unknown[];
}

/**
 * `UPDATE … SET set WHERE location_id = $1 AND where RETURNING id`, with the rows locked first
 * in id order. Every writer of record rows takes its row locks in that order (upserts write
 * their rows `ORDER BY id`), so that two of them never hold one row each while waiting for the
 * other's: a plain UPDATE locks rows in the order it happens to scan them, which deadlocked a
 * contact delete with the task walk.
 */
async function updateInIdOrder(
  manager: EntityManager,
  { table, set, where, parameters }: LocationUpdate,
  alsoReturning?: 'contact_id',
): Promise<{ id: string; contact_id?: string }[]> {
  const returning = alsoReturning ? `t.id, t.${alsoReturning}` : 't.id';

  return updateReturning(
    manager,
    `WITH locked AS (
       SELECT id FROM ${table} WHERE location_id = $1 AND ${where}
       ORDER BY id COLLATE "C" FOR NO KEY UPDATE)
     UPDATE ${table} AS t SET ${set}
     FROM locked WHERE t.location_id = $1 AND t.id = locked.id
     RETURNING ${returning}`,
    parameters,
  );
}

/**
 * The rows an `UPDATE … RETURNING` returned. TypeORM's postgres driver answers UPDATE and DELETE
 * with `[rows, affectedCount]`, unlike SELECT and INSERT: counting that pair's length counted 2.
 */
async function updateReturning<Row = unknown>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<Row[]> {
  const result: unknown = await manager.query(sql, parameters);
  const isPair = Array.isArray(result) && result.length === 2 && Array.isArray(result[0]);

  return (isPair ? result[0] : result) as Row[];
}
