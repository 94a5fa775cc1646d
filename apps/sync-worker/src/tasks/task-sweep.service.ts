import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { Connection, SyncRun } from '@sm/entities';
import { GhlApiError } from '@sm/ghl-client';
import type { GhlApi, GhlTask, LocationApi } from '@sm/ghl-client';
import { SweepTasksJob, TaskCompletedJob } from '@sm/queues';
import {
  buildSyncCompletedEvent,
  emptyCounts,
  SyncCompletedEvent,
  SyncCompletedInput,
} from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { ChildrenRefresh } from '../children-refresh/children-refresh.service';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { GHL_API } from '../ghl/ghl-api.token';
import { RunHandedBack } from '../jobs/job-handback';
import { prefetchPages } from '../location-sync/prefetch-pages';
import { FetchContext, RecordRow, taskRow } from '../records/record-mappers';
import { RecordWriter } from '../records/record-writer.service';
import { TasksTable } from '../records/record-tables';

/** Tasks per search call; GHL's default is 25, the sandbox and GHL answer up to 100. */
const PAGE_SIZE = 100;
/** A walk that has not ended after this many pages is cut short (10 million tasks). */
const MAX_PAGES = 100_000;
/** Tasks written in one transaction and statement: five pages. */
const TASKS_PER_WRITE = 500;

interface TaskPage {
  tasks: GhlTask[];
  fetchedAt: Date;
}

export interface TaskWalkResult {
  /** Tasks GHL listed. */
  listed: number;
  /** Tasks new or different from what was stored. */
  written: number;
}

export interface TaskWalkOptions {
  /** Whether a task seen completed for the first time notifies the team (the periodic sweep). */
  notify: boolean;
  /**
   * The location run whose location event will announce the walk's tasks, which holds the walk's
   * contact events until then (see `RecordWriter.holdContactEvents`); null for the sweep, whose
   * contact events are its only announcement.
   */
  holdFor: string | null;
  /**
   * Aborts on the worker's shutdown: the walk writes the tasks it has read and throws
   * RunHandedBack; the job's next run walks again (unchanged tasks cost no write).
   */
  signal?: AbortSignal;
}

/**
 * Walks every task of a location with POST /locations/{id}/tasks/search, many tasks per call.
 * It catches task edits, which GHL announces by no webhook, and fills a first sync's tasks
 * without a call per contact. It never tombstones: skip/limit offsets shift while GHL changes,
 * so a task missing from one walk is not proof of a delete (TaskDelete webhooks and the
 * per-contact fetches are).
 */
@Injectable()
export class TaskSweepService {
  private readonly logger = new Logger(TaskSweepService.name);

  constructor(
    @Inject(GHL_API) private readonly ghl: GhlApi,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly records: RecordWriter,
    private readonly childrenRefresh: ChildrenRefresh,
  ) {}

  /**
   * The periodic sweep: writes what changed, with a sync-completed per contact that changed in
   * the transaction of each write (see `writeRows`), then refreshes the children of the contacts
   * whose notes and appointments were read longest ago (`ChildrenRefresh`).
   */
  async sweep(
    job: SweepTasksJob,
    jobId: string | undefined,
    connection: Connection,
    signal?: AbortSignal,
  ) {
    const startedAt = new Date();
    const api = this.ghl.forLocation(job.locationId, { priority: 'reconciliation', signal });
    const timeZone = connection.timezone ?? this.config.DEFAULT_TIMEZONE;
    const result = await this.walk(api, timeZone, { notify: true, holdFor: null, signal });
    const refreshed = await this.childrenRefresh.refreshDue(api, timeZone, signal);
    const finishedAt = new Date();
    await this.records.transaction(async (manager) => {
      // GHL's search may list a task of a contact whose delete is already stored.
      const { tombstoned, byContact } = await this.records.tombstoneChildrenOfDeletedContacts(
        manager,
        job.locationId,
        finishedAt,
      );
      const run = await manager.getRepository(SyncRun).save({
        locationId: job.locationId,
        scope: 'location',
        contactId: null,
        trigger: 'task-sweep',
        status: 'succeeded',
        counts: {
          ...emptyCounts(),
          tasks: result?.written ?? 0,
          notes: refreshed.notes,
          appointments: refreshed.appointments,
          tombstoned: tombstoned + refreshed.tombstoned,
        },
        ghlCalls: api.callCount,
        errorCount: result ? 0 : 1,
        lastError: result ? null : 'task search refused (locations/tasks.readonly missing?)',
        jobId: jobId ?? null,
        startedAt,
        finishedAt,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
      });
      // Their contacts are stored as deleted, and their events say so.
      const events = [...byContact].map(([contactId, count]) =>
        contactEvent(job.locationId, contactId, {
          syncRunId: run.id,
          counts: { tombstoned: count },
          contactDeleted: true,
        }),
      );
      await this.records.addOutboxEvents(manager, events);
    });
    this.logger.log(
      {
        locationId: job.locationId,
        jobId,
        listed: result?.listed,
        written: result?.written,
        childrenRefreshed: refreshed.contacts,
      },
      'task sweep finished',
    );

    return { listed: result?.listed ?? 0, written: result?.written ?? 0 };
  }

  /**
   * Every task of the location, written where new or changed. Null when GHL refuses the search
   * (a token without `locations/tasks.readonly`): the caller falls back to per-contact calls.
   */
  async walk(
    api: LocationApi,
    timeZone: string,
    options: TaskWalkOptions,
  ): Promise<TaskWalkResult | null> {
    const started = await this.startWalk(api, timeZone, options);

    return started && started.rest;
  }

  /**
   * Starts the walk and answers as soon as GHL answered its first page: null when it refused
   * the search, else the rest of the walk as a promise, so that the caller can work beside it.
   */
  async startWalk(
    api: LocationApi,
    timeZone: string,
    options: TaskWalkOptions,
  ): Promise<{ rest: Promise<TaskWalkResult> } | null> {
    const fetchedAt = new Date();
    const first = await this.searchPage(api, 0);
    if (first === null) return null;

    const rest = this.walkPages(api, timeZone, { tasks: first, fetchedAt }, options);
    // Handled here so that a failure before the caller awaits it is not an unhandled rejection.
    rest.catch(() => undefined);

    return { rest };
  }

  /**
   * Writes the pages TASKS_PER_WRITE tasks at a time while the next ones are fetched: fewer,
   * larger statements cost Postgres and the worker less a row. Each row keeps its own page's
   * fetch time, which is its version and, for a task seen completed, its completion time.
   */
  private async walkPages(
    api: LocationApi,
    timeZone: string,
    first: TaskPage,
    options: TaskWalkOptions,
  ): Promise<TaskWalkResult> {
    const result: TaskWalkResult = { listed: 0, written: 0 };
    const locationId = api.locationId;
    const write = { ...options, compare: await this.storesTasks(locationId) };
    let held: RecordRow[] = [];
    for await (const { tasks, fetchedAt } of prefetchPages(this.pagesAfter(api, first))) {
      const fetch: FetchContext = { locationId: api.locationId, fetchedAt, timeZone };
      const rows = tasks
        .filter((task) => typeof task.id === 'string' && typeof task.contactId === 'string')
        .map((task) => taskRow(task, task.contactId as string, fetch));
      result.listed += rows.length;
      held = held.concat(rows);
      if (options.signal?.aborted) break;
      if (held.length < TASKS_PER_WRITE) continue;

      await this.writeRows(locationId, held, result, write);
      held = [];
    }
    await this.writeRows(locationId, held, result, write);
    if (options.signal?.aborted) throw new RunHandedBack();

    return result;
  }

  /**
   * Whether the location has stored tasks to compare the walk's with. A first sync's walk has
   * none: its reads of them found nothing, at 20,000 index probes for a 10k location. A task
   * another writer stores during the walk meets the upsert, which writes only a newer and
   * different row anyway; the comparison spares unchanged tasks that upsert, nothing else.
   */
  private async storesTasks(locationId: string): Promise<boolean> {
    const [{ stores }]: { stores: boolean }[] = await this.records.transaction((manager) =>
      manager.query(
        `SELECT EXISTS (SELECT 1 FROM ${TasksTable.name} WHERE location_id = $1) AS stores`,
        [locationId],
      ),
    );

    return stores;
  }

  /** The first page, then the ones after it, each with the time it was asked for. */
  private async *pagesAfter(api: LocationApi, first: TaskPage): AsyncGenerator<TaskPage> {
    yield first;
    if (first.tasks.length < PAGE_SIZE) return;
    for (let page = 1; page < MAX_PAGES; page++) {
      const fetchedAt = new Date();
      // Only a refused first page answers null; a later refusal throws.
      const tasks = (await this.searchPage(api, page * PAGE_SIZE)) as GhlTask[];
      yield { tasks, fetchedAt };
      if (tasks.length < PAGE_SIZE) return;
    }
    this.logger.warn({ locationId: api.locationId }, 'task sweep cut short at its page limit');
  }

  private async searchPage(api: LocationApi, skip: number): Promise<GhlTask[] | null> {
    try {
      const answer = await api.searchLocationTasks({ limit: PAGE_SIZE, skip });

      // The spec types the list loosely (an array of arrays); GHL answers Task objects.
      return ((answer as { tasks?: unknown[] }).tasks ?? []) as GhlTask[];
    } catch (error) {
      const isRefused = error instanceof GhlApiError && !error.isTransient && skip === 0;
      if (!isRefused) throw error;
      this.logger.warn(
        { locationId: api.locationId, error: describeError(error) },
        'task search refused',
      );

      return null;
    }
  }

  /**
   * Writes the rows that differ from what is stored (a sweep mostly finds nothing new), and in
   * the same transaction a sync-completed per contact whose tasks changed (held, in a location
   * run's walk) and the notices of tasks seen completed for the first time. Announced only at
   * the end of the walk, the tasks of a chunk that committed before the walk died went
   * unannounced for good: the retry finds them unchanged. A contact whose tasks fall into two
   * chunks gets two events, which consumers take as they take any redelivery (at least once,
   * idempotent).
   */
  private async writeRows(
    locationId: string,
    rows: RecordRow[],
    result: TaskWalkResult,
    options: TaskWalkOptions & { compare: boolean },
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.records.transaction(async (manager) => {
      const changed = options.compare ? await changedRows(manager, locationId, rows) : rows;
      const written = await this.records.upsertChildren(manager, 'tasks', changed);
      result.written += written.length;
      const changedById = new Map(changed.map((row) => [row.id as string, row]));
      const byContact = new Map<string, number>();
      const notices: Required<TaskCompletedJob>[] = [];
      for (const row of written) {
        const { contact_id, synced_at } = changedById.get(row.id) as RecordRow;
        const contactId = contact_id as string;
        const fetchedAt = synced_at as Date;
        byContact.set(contactId, (byContact.get(contactId) ?? 0) + 1);
        const isNewlyCompleted =
          !row.inserted && row.completedAt?.getTime() === fetchedAt.getTime();
        if (options.notify && isNewlyCompleted) {
          const completedAt = fetchedAt.toISOString();
          notices.push({ locationId, contactId, taskId: row.id, completedAt });
        }
      }
      await this.announce(manager, locationId, byContact, options);
      await this.records.addTaskCompletedNotices(manager, notices);
    });
  }

  private async announce(
    manager: EntityManager,
    locationId: string,
    tasksByContact: Map<string, number>,
    { holdFor }: TaskWalkOptions,
  ): Promise<void> {
    if (holdFor) {
      const byContact = new Map([...tasksByContact].map(([id, tasks]) => [id, { tasks }]));
      await this.records.holdContactEvents(manager, locationId, holdFor, byContact);

      return;
    }
    const events = [...tasksByContact].map(([contactId, tasks]) =>
      contactEvent(locationId, contactId, { syncRunId: null, counts: { tasks } }),
    );
    await this.records.addOutboxEvents(manager, events);
  }
}

/** A contact's sync-completed for what the sweep wrote of it. */
function contactEvent(
  locationId: string,
  contactId: string,
  written: Pick<SyncCompletedInput, 'syncRunId' | 'counts' | 'contactDeleted'>,
): SyncCompletedEvent {
  return buildSyncCompletedEvent({
    locationId,
    scope: 'contact',
    contactId,
    trigger: 'location-sync',
    ...written,
  });
}

const COMPARED = ['contact_id', 'title', 'body', 'assigned_to', 'due_date', 'completed'] as const;

/**
 * The rows that are new, tombstoned, or say something else than the stored task.
 *
 * TODO: an unchanged task left out here keeps its older version (its last fetch time), so a
 * contact sync's fetch from between the two, with other content, written after the sweep, wins
 * (A stored, A swept, B written last: B stays until the next sweep puts A back). upsertRows now
 * skips equal content itself and still records the newer version: passing it every row would
 * fix this, at one bookkeeping UPDATE per unchanged task and sweep.
 */
async function changedRows(
  manager: EntityManager,
  locationId: string,
  rows: RecordRow[],
): Promise<RecordRow[]> {
  const stored: RecordRow[] = await manager.query(
    `SELECT id, ${COMPARED.join(', ')}, deleted_at FROM ${TasksTable.name}
     WHERE location_id = $1 AND id = ANY($2::varchar[])`,
    [locationId, rows.map((row) => row.id as string)],
  );
  const byId = new Map(stored.map((row) => [row.id as string, row]));

  return rows.filter((row) => {
    const known = byId.get(row.id as string);
    if (!known || known.deleted_at !== null) return true;

    return COMPARED.some((column) => !sameValue(known[column], row[column]));
  });
}

function sameValue(stored: unknown, incoming: unknown): boolean {
  if (stored instanceof Date || incoming instanceof Date) {
    return (stored as Date | null)?.getTime?.() === (incoming as Date | null)?.getTime?.();
  }

  return (stored ?? null) === (incoming ?? null);
}
