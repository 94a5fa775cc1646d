import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager, Not } from 'typeorm';

import { Connection, SyncRun } from '@sm/entities';
import { GhlApiError } from '@sm/ghl-client';
import type { GhlApi, GhlContact, GhlListedContact, LocationApi } from '@sm/ghl-client';
import { JobPriority, SyncLocationJob } from '@sm/queues';
import { buildSyncCompletedEvent, emptyCounts, SyncCounts } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError, isNotFound } from '../failures/job-errors';
import { GHL_API } from '../ghl/ghl-api.token';
import { RunHandedBack } from '../jobs/job-handback';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { CustomFieldKeys, fieldIdsOf } from '../custom-fields/custom-field-keys.service';
import { CHILD_KINDS, fetchChildRows } from '../records/child-records';
import { contactRow, FetchContext, RecordRow } from '../records/record-mappers';
import type { ContactVersion } from '../records/needing-children';
import type { ChildKind } from '../records/record-tables';
import { FetchedChildren, ListedBatch, RecordWriter } from '../records/record-writer.service';
import { TaskSweepService, TaskWalkResult } from '../tasks/task-sweep.service';
import { groupPages } from './group-pages';
import { mapWithConcurrency } from './map-with-concurrency';
import { LocationLockLost } from './location-run-lock.service';
import { AskedItem, pagesAskedAt } from './pages-asked-at';
import { prefetchPages } from './prefetch-pages';

interface RunState {
  run: SyncRun;
  counts: SyncCounts;
  errors: number;
  lastError: string | null;
  seenIds: string[];
  plan: RunPlan;
}

/**
 * Contacts walked so far in a bulk walk at which the record tables' statistics are refreshed.
 * A first sync grows a location from nothing faster than autovacuum looks (a minute): with
 * statistics that still say "a few rows", Postgres reads each batch's contacts by scanning all
 * of the location's rows rather than through the primary key, a cost that grows with every
 * batch (quadratic).
 */
const STATISTICS_AT_CONTACTS = [100, 800, 3_200, 12_800, 51_200, 204_800, 819_200];

/**
 * Listed contacts written together (five pages), with the children fetched for them. Postgres
 * and the worker spend less a row on fewer, larger statements (a write replay of a 10k sync:
 * 1,000-row statements cost 30 % less CPU than 100-row ones).
 */
const CONTACTS_PER_BATCH = 500;

/** Fetched children of one batch, and when the first of them was asked for. */
interface ChildBatch {
  listedAt: Date;
  fetched: FetchedChildren[];
}

/** A batch of listed contacts as rows to write, and those whose children are to be fetched. */
interface ListedContacts {
  rows: RecordRow[];
  needing: ContactVersion[];
}

/** What a run fetches beyond the contact walk, decided before it starts. */
interface RunPlan {
  /** A first or on-demand sync: every contact's children are fetched and written. */
  isBulk: boolean;
  /** Every contact's children, changed or not (an on-demand full sync). */
  allChildren: boolean;
  /** Contacts that had an event since the last successful run: their children are fetched. */
  eventedIds: string[];
  /** The kinds fetched per contact; tasks are left out when the task search writes them all. */
  childKinds: ChildKind[];
  /** The task search of a first or on-demand sync, running beside the contact walk. */
  taskWalk: Promise<TaskWalkResult> | null;
}

/** How a run ended: a handed-back run stopped at a safe point for its worker's shutdown. */
type RunEnd = 'succeeded' | 'failed' | 'interrupted';

/**
 * A sync of one location: the contact walk (every page, 100 contacts a call), then tasks,
 * notes and appointments only for contacts that changed since their children were last fetched
 * or had an event since the last successful run (all of them on a first or on-demand sync,
 * whose tasks come from the location's task search instead of a call per contact), then
 * reconciliation: what GHL no longer lists is tombstoned.
 */
@Injectable()
export class LocationSyncService {
  private readonly logger = new Logger(LocationSyncService.name);

  constructor(
    @Inject(GHL_API) private readonly ghl: GhlApi,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly records: RecordWriter,
    private readonly enqueuer: JobEnqueuer,
    private readonly fieldKeys: CustomFieldKeys,
    private readonly taskSweep: TaskSweepService,
  ) {}

  /**
   * `signal` aborts on the worker's shutdown: the walks stop at their next safe point, the run
   * is closed as interrupted with what it committed, and RunHandedBack is thrown.
   */
  async sync(
    job: SyncLocationJob,
    jobId: string | undefined,
    connection: Connection,
    signal?: AbortSignal,
  ): Promise<SyncCounts> {
    const api = this.ghl.forLocation(job.locationId, { priority: 'reconciliation', signal });
    const timeZone = await this.refreshSchedule(api, connection);
    const state = await this.openRun(job, jobId);
    try {
      state.plan = await this.plan(api, job, timeZone, state.run.id, signal);
      await settleBoth(
        this.walk(api, job, state, timeZone, signal),
        this.countSearchedTasks(state),
      );
      await this.finish(api, job, state, 'succeeded');
    } catch (error) {
      // A stopped run threw RunHandedBack, or what an aborted GHL call threw. Stopped for the
      // shutdown it is interrupted; stopped for a lost lock it failed, with that reason.
      const stopReason: unknown = signal?.aborted ? signal.reason : undefined;
      const isLockLost = stopReason instanceof LocationLockLost;
      const failure = isLockLost ? stopReason : error;
      const isHandedBack = !isLockLost && (error instanceof RunHandedBack || !!stopReason);
      if (!isHandedBack) {
        state.errors += 1;
        state.lastError = describeError(failure);
      }
      await this.finish(api, job, state, isHandedBack ? 'interrupted' : 'failed').catch(
        () => undefined,
      );
      throw isHandedBack ? new RunHandedBack() : failure;
    }

    return state.counts;
  }

  /**
   * A first sync (no successful run yet), an on-demand one, or one whose last success is older
   * than the inbox keeps its events fetches every contact's children; their tasks come from the
   * task search, many per call, when the token allows it (its first page tells), walked beside
   * the contact walk. A nightly run fetches children only where something changed.
   */
  private async plan(
    api: LocationApi,
    job: SyncLocationJob,
    timeZone: string,
    syncRunId: string,
    signal: AbortSignal | undefined,
  ): Promise<RunPlan> {
    const lastSuccess = await this.records.transaction((manager) =>
      manager.getRepository(SyncRun).findOne({
        where: {
          locationId: job.locationId,
          scope: 'location',
          status: 'succeeded',
          trigger: Not('task-sweep'),
        },
        order: { startedAt: 'DESC' },
      }),
    );
    const isStale = lastSuccess !== null && this.outlivedTheInbox(lastSuccess);
    const allChildren = job.trigger === 'manual' || isStale;
    const isBulk = allChildren || lastSuccess === null;
    const eventedIds = lastSuccess ? await this.eventedContacts(job.locationId, lastSuccess) : [];
    const perContact = { isBulk, allChildren, eventedIds, childKinds: CHILD_KINDS, taskWalk: null };
    if (!isBulk) return perContact;

    const taskWalk = await this.taskSweep.startWalk(api, timeZone, {
      notify: false,
      holdFor: syncRunId,
      signal,
    });
    if (!taskWalk) return perContact;

    return {
      isBulk,
      allChildren,
      eventedIds,
      childKinds: ['notes', 'appointments'],
      taskWalk: taskWalk.rest,
    };
  }

  /** True when the inbox may have pruned events received since `run` began. */
  private outlivedTheInbox(run: SyncRun): boolean {
    const retentionMs = this.config.WEBHOOK_INBOX_RETENTION_DAYS * 86_400_000;

    return run.startedAt.getTime() < Date.now() - retentionMs;
  }

  private async countSearchedTasks(state: RunState): Promise<void> {
    const tasks = await state.plan.taskWalk;
    if (tasks) state.counts.tasks += tasks.written;
  }

  /**
   * Contacts named by a webhook the ingress recorded since the last successful run began (read
   * through the inbox's (location_id, received_at) index).
   */
  private async eventedContacts(locationId: string, since: SyncRun): Promise<string[]> {
    const rows: { contact_id: string }[] = await this.records.transaction((manager) =>
      manager.query(
        `SELECT DISTINCT COALESCE(payload->>'contactId', payload->'appointment'->>'contactId',
                                  CASE WHEN event_type LIKE 'Contact%' THEN payload->>'id' END)
                AS contact_id
         FROM webhook_inbox WHERE location_id = $1 AND received_at >= $2`,
        [locationId, since.startedAt],
      ),
    );

    return rows.map((row) => row.contact_id).filter((id): id is string => isId(id));
  }

  /**
   * Reads the location's zone from GHL, stores it on the connection, and (re)sets the nightly
   * schedule with it: one scheduler per location, replaced in place, never duplicated.
   */
  private async refreshSchedule(api: LocationApi, connection: Connection): Promise<string> {
    const { locationId } = connection;
    const timeZone =
      (await this.ghlTimeZone(api, locationId)) ??
      validZone(connection.timezone ?? undefined) ??
      this.config.DEFAULT_TIMEZONE;
    await this.records.transaction((manager) =>
      manager.getRepository(Connection).update({ locationId }, { timezone: timeZone }),
    );
    await this.enqueuer.scheduleNightlySync(locationId, timeZone);
    await this.enqueuer.scheduleTaskSweep(locationId);

    return timeZone;
  }

  /**
   * The zone from GHL's location settings. Reading them needs `locations.readonly`; without it
   * (or while GHL refuses), the sync goes on with the zone stored before, or the default.
   */
  private async ghlTimeZone(api: LocationApi, locationId: string): Promise<string | null> {
    try {
      const { location } = await api.getLocation();

      return validZone(location?.timezone);
    } catch (error) {
      if (!(error instanceof GhlApiError) || error.isTransient) throw error;
      this.logger.warn({ locationId, error: describeError(error) }, 'location settings unreadable');

      return null;
    }
  }

  private async openRun(job: SyncLocationJob, jobId: string | undefined): Promise<RunState> {
    const run = await this.records.transaction(async (manager) => {
      await this.closeDeadRuns(manager, job.locationId);

      return manager.getRepository(SyncRun).save({
        locationId: job.locationId,
        scope: 'location',
        contactId: null,
        trigger: job.trigger,
        status: 'running',
        counts: emptyCounts(),
        ghlCalls: 0,
        errorCount: 0,
        jobId: jobId ?? null,
        startedAt: new Date(),
      });
    });

    return {
      run,
      counts: emptyCounts(),
      errors: 0,
      lastError: null,
      seenIds: [],
      plan: {
        isBulk: false,
        allChildren: false,
        eventedIds: [],
        childKinds: CHILD_KINDS,
        taskWalk: null,
      },
    };
  }

  /**
   * The contact walk, CONTACTS_PER_BATCH listed contacts at a time. A batch's contacts are
   * written in the transaction that writes the children fetched for them, and marked fetched
   * there, so a run killed half-way and started again walks the pages again (0.01 calls per
   * contact) but fetches children only where it had not yet. Batches overlap: while a batch's
   * children are fetched, the next batch is listed and read, and the batch before is written (at
   * most one write waits at a time; the sandbox and the fetching would otherwise idle through
   * each write). Each write holds the contact events of what it wrote, which the run's location
   * event replaces (see `RecordWriter.holdContactEvents`).
   *
   * Written with its children, a contact a first sync inserts carries its fetched mark from its
   * insert: written first and marked by the children's transaction, each of a first sync's
   * contacts was written twice (a 10k sync: 243 ms of Postgres), and locked a third time.
   *
   * On shutdown (`signal`), no more children are asked for: the batch in hand is written with
   * those fetched, and the walk throws RunHandedBack. The next run lists the pages again and
   * fetches the rest.
   */
  private async walk(
    api: LocationApi,
    job: SyncLocationJob,
    state: RunState,
    timeZone: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let pendingWrite: Promise<void> = Promise.resolve();
    let statistics: Promise<void> = Promise.resolve();
    let analyzedAt = 0;
    // A bulk run refreshes the planner's statistics as the tables grow, each time once a write
    // has committed (so that the child tables have rows to sample). Not waited for: it blocks
    // no write, the walk goes on while Postgres samples.
    const refreshStatistics = (written: Promise<void>) => {
      const walked = state.seenIds.length;
      const isDue = walked >= (STATISTICS_AT_CONTACTS[analyzedAt] ?? Infinity);
      if (!state.plan.isBulk || !isDue) return;
      statistics = statistics
        .then(() => written.catch(() => undefined))
        .then(() => this.records.analyze());
      analyzedAt = STATISTICS_AT_CONTACTS.findIndex((at) => at > walked);
    };
    const write = async (batch: ListedBatch) => {
      await pendingWrite;
      pendingWrite = this.writeBatch(job, batch, state);
      // Handled here so that a failure while the next batch is fetched is not an unhandled
      // rejection; the next `await pendingWrite` still throws it.
      pendingWrite.catch(() => undefined);
      refreshStatistics(pendingWrite);
    };
    const listed = this.listedBatches(api, job, state, { timeZone, signal });
    try {
      // One batch is read while the batch before has its children fetched.
      for await (const batch of prefetchPages(listed)) {
        if (signal?.aborted) break;
        const children = await this.fetchChildren(api, job.locationId, batch.needing, state, {
          timeZone,
          signal,
        });
        await write({
          contacts: batch.rows,
          fetched: children.fetched,
          kinds: state.plan.childKinds,
          listedAt: children.listedAt,
        });
      }
    } finally {
      // A failed walk still waits for the write in flight, so that none outlives the run.
      await pendingWrite.catch(() => undefined);
      await statistics;
    }
    await pendingWrite;
    // Also when the last batch was cut: children left out are fetched by the next run.
    if (signal?.aborted) throw new RunHandedBack();
  }

  /**
   * The listed pages, CONTACTS_PER_BATCH contacts at a time, each batch mapped to rows and
   * checked against what is stored. Stops before a batch once `signal` aborts.
   */
  private async *listedBatches(
    api: LocationApi,
    job: SyncLocationJob,
    state: RunState,
    { timeZone, signal }: { timeZone: string; signal: AbortSignal | undefined },
  ): AsyncGenerator<ListedContacts> {
    const pages = pagesAskedAt(api.listContacts({ pageSize: 100 }));
    const listed = groupPages(pages, CONTACTS_PER_BATCH);
    for await (const listedBatch of prefetchPages(listed)) {
      if (signal?.aborted) return;
      yield await this.readListedBatch(api, job, state, listedBatch, timeZone);
    }
  }

  /**
   * A batch of listed contacts as rows, and which of them need their children fetched. The rows
   * are stamped as fetched when the batch's first page was asked for (see `pagesAskedAt`).
   */
  private async readListedBatch(
    api: LocationApi,
    job: SyncLocationJob,
    state: RunState,
    listed: AskedItem<GhlListedContact>[],
    timeZone: string,
  ): Promise<ListedContacts> {
    const contacts = await this.completeContacts(
      api,
      listed.map(({ item }) => item),
    );
    const fieldKeys = await this.fieldKeys.forFieldIds(api, fieldIdsOf(contacts));
    const fetch: FetchContext = {
      locationId: job.locationId,
      fetchedAt: listed[0]?.askedAt ?? new Date(),
      timeZone,
      fieldKeys,
    };
    const rows = contacts.map((contact) => contactRow(contact, fetch));
    const versions: ContactVersion[] = rows.map((row) => ({
      id: row.id as string,
      version: row.source_version_at as Date,
    }));
    const needing = await this.records.contactsNeedingChildren(job.locationId, versions, {
      all: state.plan.allChildren,
      alsoIds: state.plan.eventedIds,
    });
    state.seenIds.push(...versions.map(({ id }) => id));

    return { rows, needing };
  }

  /**
   * GHL's list shape may leave fields out (its spec lists no name or phone). A listed contact
   * without `dateUpdated` cannot be trusted to be whole, so it is fetched on its own.
   */
  private async completeContacts(
    api: LocationApi,
    page: GhlListedContact[],
  ): Promise<GhlContact[]> {
    const listed = page.filter((contact) => isId(contact.id));
    const complete = await mapWithConcurrency(
      listed,
      this.config.CHILD_FETCH_CONCURRENCY,
      (contact) =>
        contact.dateUpdated ? contact : api.getContact(contact.id as string).catch(orGone),
    );

    return complete.filter((contact): contact is GhlContact => contact !== null);
  }

  /**
   * Fetches the children of a batch's contacts, `CHILD_FETCH_CONCURRENCY` at a time. Once
   * `signal` aborts, the contacts not yet asked for are left out, unmarked, for the next run.
   */
  private async fetchChildren(
    api: LocationApi,
    locationId: string,
    contacts: ContactVersion[],
    state: RunState,
    { timeZone, signal }: { timeZone: string; signal: AbortSignal | undefined },
  ): Promise<ChildBatch> {
    const listedAt = new Date();
    if (contacts.length === 0) return { listedAt, fetched: [] };
    const kinds = state.plan.childKinds;
    const fetched = await mapWithConcurrency(
      contacts,
      this.config.CHILD_FETCH_CONCURRENCY,
      async ({ id, version }): Promise<FetchedChildren | null> => {
        if (signal?.aborted) return null;
        const fetch: FetchContext = { locationId, fetchedAt: new Date(), timeZone };
        try {
          const rows = await fetchChildRows(api, id, fetch, kinds);

          return { contactId: id, rows, contactVersion: version };
        } catch (error) {
          // Aborted for the shutdown: left unmarked for the next run, not a contact's trouble.
          if (signal?.aborted) return null;
          await this.childrenFailed(locationId, id, state, error);

          return null;
        }
      },
    );

    return { listedAt, fetched: fetched.filter((item): item is FetchedChildren => !!item) };
  }

  /**
   * Writes a listed batch with its fetched children in one transaction, holding an event per
   * contact it changed.
   */
  private async writeBatch(
    job: SyncLocationJob,
    batch: ListedBatch,
    state: RunState,
  ): Promise<void> {
    if (batch.contacts.length === 0) return; // its children are of its contacts
    const written = await this.records.transaction(async (manager) => {
      const result = await this.records.writeListedBatch(manager, job.locationId, batch);
      const byContact = new Map<string, Partial<SyncCounts>>(result.byContact);
      for (const { id } of result.contacts) {
        byContact.set(id, { ...byContact.get(id), contacts: 1 });
      }
      await this.records.holdContactEvents(manager, job.locationId, state.run.id, byContact);

      return result;
    });
    state.counts.contacts += written.contacts.length;
    state.counts.tasks += written.counts.tasks;
    state.counts.notes += written.counts.notes;
    state.counts.appointments += written.counts.appointments;
    state.counts.tombstoned += written.counts.tombstoned;
  }

  /** One contact's trouble does not sink the location's run: it gets a job of its own. */
  private async childrenFailed(
    locationId: string,
    contactId: string,
    state: RunState,
    error: unknown,
  ): Promise<void> {
    if (error instanceof GhlApiError && error.kind === 'auth') throw error;
    state.errors += 1;
    state.lastError = describeError(error);
    this.logger.warn({ locationId, contactId, error: state.lastError }, 'contact children failed');
    await this.enqueuer.syncContact(
      { locationId, contactId, cause: 'location-sync' },
      JobPriority.Reconciliation,
    );
  }

  /**
   * Closes the location's runs still marked running, as abandoned, and publishes what they held
   * of their commits. Called under the location's run lock (`LocationRunLock`), which no live
   * run of it holds, so every such row is a dead worker's: one killed and retried, or whose job
   * was parked after its stalls (and may be replayed under a new id) or lost with Redis' data.
   *
   * TODO: a run whose lock went with its connection while it waited inside a statement (a row
   * lock, the final tombstoning) stops only when that statement returns, up to
   * DATABASE_STATEMENT_TIMEOUT_MS later; a run that took the location meanwhile closes it as
   * abandoned and publishes its held events, and the first may still commit its location event,
   * so consumers get both (at least once, records stay right). Closing it needs a lease on
   * sync_runs (a heartbeat column the lock's keepalive moves) and abandoning only expired ones.
   */
  private closeDeadRuns(manager: EntityManager, locationId: string): Promise<void> {
    return this.abandonRuns(manager, { locationId, scope: 'location', status: 'running' });
  }

  private async abandonRuns(
    manager: EntityManager,
    where: { locationId: string; scope: 'location'; status: 'running' },
  ): Promise<void> {
    const runs = manager.getRepository(SyncRun);
    const dead = await runs.findBy(where);
    if (dead.length === 0) return;
    await runs.update(where, { status: 'abandoned', finishedAt: new Date() });
    const syncRunIds = dead.map((run) => run.id);
    await this.records.releaseHeldContactEvents(manager, where.locationId, syncRunIds);
    this.logger.warn(
      { locationId: where.locationId, syncRunIds },
      'runs of a dead worker closed as abandoned',
    );
  }

  private async finish(
    api: LocationApi,
    job: SyncLocationJob,
    state: RunState,
    status: RunEnd,
  ): Promise<void> {
    const finishedAt = new Date();
    await this.records.transaction(async (manager) => {
      if (status === 'succeeded') {
        // Only a complete walk knows which contacts GHL no longer has.
        state.counts.tombstoned += await this.records.tombstoneUnseenContacts(
          manager,
          job.locationId,
          state.seenIds,
          state.run.startedAt,
          finishedAt,
        );
        const orphans = await this.records.tombstoneChildrenOfDeletedContacts(
          manager,
          job.locationId,
          finishedAt,
        );
        state.counts.tombstoned += orphans.tombstoned;
      }
      await manager.getRepository(SyncRun).update(state.run.id, {
        status,
        counts: state.counts,
        ghlCalls: api.callCount,
        errorCount: state.errors,
        lastError: state.lastError,
        finishedAt,
        durationMs: finishedAt.getTime() - state.run.startedAt.getTime(),
      });
      await this.announce(manager, job, state, { status, finishedAt });
    });
    this.logger.log(
      { locationId: job.locationId, syncRunId: state.run.id, status, ...state.counts },
      'location sync finished',
    );
  }

  /**
   * A succeeded run's location event, which replaces the contact events its commits held; a
   * failed or interrupted run's held events, released to be published.
   */
  private async announce(
    manager: EntityManager,
    job: SyncLocationJob,
    state: RunState,
    { status, finishedAt }: { status: RunEnd; finishedAt: Date },
  ): Promise<void> {
    if (status !== 'succeeded') {
      await this.records.releaseHeldContactEvents(manager, job.locationId, [state.run.id]);

      return;
    }
    await this.records.dropHeldContactEvents(manager, job.locationId, state.run.id);
    const event = buildSyncCompletedEvent({
      locationId: job.locationId,
      scope: 'location',
      trigger: job.trigger,
      syncRunId: state.run.id,
      counts: state.counts,
      occurredAt: finishedAt,
    });
    await this.records.addOutboxEvent(manager, event);
  }
}

/** Waits for both, then throws the first failure: neither outlives the run. */
async function settleBoth(first: Promise<void>, second: Promise<void>): Promise<void> {
  const outcomes = await Promise.allSettled([first, second]);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

const isId = (value: unknown): value is string => typeof value === 'string' && value !== '';

function orGone(error: unknown): null {
  if (isNotFound(error)) return null; // deleted between the list and the fetch

  throw error;
}

function validZone(zone: string | undefined): string | null {
  if (!zone) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });

    return zone;
  } catch {
    return null;
  }
}
