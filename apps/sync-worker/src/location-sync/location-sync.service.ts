import { Inject, Injectable, Logger } from '@nestjs/common';

import { Connection, SyncRun } from '@sm/entities';
import { GhlApiError } from '@sm/ghl-client';
import type { GhlApi, GhlContact, GhlListedContact, LocationApi } from '@sm/ghl-client';
import { JobPriority, SyncLocationJob } from '@sm/queues';
import { buildSyncCompletedEvent, emptyCounts, SyncCounts } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError, isNotFound } from '../failures/job-errors';
import { GHL_API } from '../ghl/ghl-api.token';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { fetchChildRows } from '../records/child-records';
import { contactRow, FetchContext } from '../records/record-mappers';
import { RecordWriter } from '../records/record-writer.service';
import { mapWithConcurrency } from './map-with-concurrency';

interface RunState {
  run: SyncRun;
  counts: SyncCounts;
  errors: number;
  lastError: string | null;
  seenIds: string[];
}

/**
 * A full sync of one location: every contact page by page, each contact's tasks, notes and
 * appointments, then reconciliation (what GHL no longer lists is tombstoned).
 */
@Injectable()
export class LocationSyncService {
  private readonly logger = new Logger(LocationSyncService.name);

  constructor(
    @Inject(GHL_API) private readonly ghl: GhlApi,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly records: RecordWriter,
    private readonly enqueuer: JobEnqueuer,
  ) {}

  async sync(
    job: SyncLocationJob,
    jobId: string | undefined,
    connection: Connection,
  ): Promise<SyncCounts> {
    const api = this.ghl.forLocation(job.locationId, { priority: 'reconciliation' });
    const timeZone = await this.refreshSchedule(api, connection);
    const state = await this.openRun(job, jobId);
    try {
      await this.walk(api, job, state, timeZone);
      await this.finish(api, job, state, 'succeeded');
    } catch (error) {
      state.errors += 1;
      state.lastError = describeError(error);
      await this.finish(api, job, state, 'failed').catch(() => undefined);
      throw error;
    }

    return state.counts;
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
    const run = await this.records.transaction((manager) =>
      manager.getRepository(SyncRun).save({
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
      }),
    );

    return { run, counts: emptyCounts(), errors: 0, lastError: null, seenIds: [] };
  }

  // TODO: a nightly run fetches every contact's children (3 calls per contact). Fetching them
  // only for contacts that changed since the last successful run, plus a periodic sweep for
  // task edits (GHL sends no webhook for those), would cut nightly calls ~20×. Safe for now:
  // fetching everything is correct, only dearer. A killed walk also starts again from the first
  // page; the upserts make the repeat harmless.
  private async walk(
    api: LocationApi,
    job: SyncLocationJob,
    state: RunState,
    timeZone: string,
  ): Promise<void> {
    for await (const page of api.listContacts({ pageSize: 100 })) {
      const fetch: FetchContext = { locationId: job.locationId, fetchedAt: new Date(), timeZone };
      const contacts = await this.completeContacts(api, page);
      const written = await this.records.transaction((manager) =>
        this.records.upsertContacts(
          manager,
          contacts.map((contact) => contactRow(contact, fetch)),
        ),
      );
      state.counts.contacts += written.length;
      state.seenIds.push(...contacts.map((contact) => contact.id as string));

      await mapWithConcurrency(contacts, this.config.CHILD_FETCH_CONCURRENCY, (contact) =>
        this.syncChildren(api, job.locationId, contact.id as string, state, timeZone),
      );
    }
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

  private async syncChildren(
    api: LocationApi,
    locationId: string,
    contactId: string,
    state: RunState,
    timeZone: string,
  ): Promise<void> {
    const fetch: FetchContext = { locationId, fetchedAt: new Date(), timeZone };
    try {
      const rows = await fetchChildRows(api, contactId, fetch);
      const written = await this.records.transaction((manager) =>
        this.records.writeChildren(manager, locationId, contactId, rows, fetch.fetchedAt),
      );
      state.counts.tasks += written.counts.tasks;
      state.counts.notes += written.counts.notes;
      state.counts.appointments += written.counts.appointments;
      state.counts.tombstoned += written.counts.tombstoned;
    } catch (error) {
      // One contact's trouble does not sink the location's run: it gets a job of its own.
      state.errors += 1;
      state.lastError = describeError(error);
      this.logger.warn(
        { locationId, contactId, error: state.lastError },
        'contact children failed',
      );
      await this.enqueuer.syncContact(
        { locationId, contactId, cause: 'location-sync' },
        JobPriority.Reconciliation,
      );
    }
  }

  private async finish(
    api: LocationApi,
    job: SyncLocationJob,
    state: RunState,
    status: 'succeeded' | 'failed',
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
      }
      await manager.getRepository(SyncRun).update(state.run.id, {
        status,
        counts: state.counts,
        ghlCalls: api.callCount,
        errorCount: state.errors,
        lastError: state.lastError,
        finishedAt,
      });
      if (status !== 'succeeded') return;

      const event = buildSyncCompletedEvent({
        locationId: job.locationId,
        scope: 'location',
        trigger: job.trigger,
        syncRunId: state.run.id,
        counts: state.counts,
        occurredAt: finishedAt,
      });
      await this.records.addOutboxEvent(manager, event);
    });
    this.logger.log(
      { locationId: job.locationId, syncRunId: state.run.id, status, ...state.counts },
      'location sync finished',
    );
  }
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
