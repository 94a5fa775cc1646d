import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { GhlApi, GhlContact, LocationApi } from '@sm/ghl-client';
import { SyncRun } from '@sm/entities';
import { SyncContactJob } from '@sm/queues';
import { buildSyncCompletedEvent, emptyCounts, SyncCounts } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError, isNotFound } from '../failures/job-errors';
import { GHL_API } from '../ghl/ghl-api.token';
import { CustomFieldKeys, fieldIdsOf } from '../custom-fields/custom-field-keys.service';
import { ChildRows, fetchChildRows } from '../records/child-records';
import { contactRow, FetchContext } from '../records/record-mappers';
import { RecordWriter } from '../records/record-writer.service';

/** What GHL said about one contact when we asked. */
/** `children` as GHL listed them at `childrenListedAt`, which their rows carry as fetch time. */
type ContactSnapshot =
  | { exists: true; contact: GhlContact; children: ChildRows; childrenListedAt: Date }
  | { exists: false };

export interface ContactSyncOutcome {
  counts: SyncCounts;
  contactDeleted: boolean;
  completedTaskIds: string[];
}

/**
 * One contact made equal to GHL: the contact, its tasks, notes and appointments, fetched fresh
 * (webhook payloads are only a hint: they arrive out of order and with fields missing).
 */
@Injectable()
export class ContactSyncService {
  private readonly logger = new Logger(ContactSyncService.name);

  constructor(
    @Inject(GHL_API) private readonly ghl: GhlApi,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly records: RecordWriter,
    private readonly fieldKeys: CustomFieldKeys,
  ) {}

  /**
   * Every attempt leaves a sync_runs row, under the job's id. One that fails records its error,
   * GHL calls and duration in a transaction of its own (its writes were rolled back), then fails
   * the job: each retry is an attempt of its own, with its own calls and its own row. One that
   * `signal` stopped (the worker's shutdown) is recorded as interrupted.
   */
  async sync(
    job: SyncContactJob,
    context: { jobId?: string; timeZone: string | null; signal?: AbortSignal },
  ): Promise<ContactSyncOutcome> {
    const startedAt = new Date();
    const priority = job.cause === 'webhook' ? 'realtime' : 'reconciliation';
    const run: RunContext = {
      jobId: context.jobId,
      startedAt,
      api: this.ghl.forLocation(job.locationId, { priority, signal: context.signal }),
    };
    const outcome = await this.fetchAndWrite(job, run, context.timeZone).catch(
      async (error: unknown) => {
        await this.recordFailedRun(job, run, error, context.signal?.aborted ?? false);
        throw error;
      },
    );
    this.logger.log(
      {
        locationId: job.locationId,
        contactId: job.contactId,
        jobId: context.jobId,
        ...outcome.counts,
      },
      'contact synced',
    );

    return outcome;
  }

  private async fetchAndWrite(
    job: SyncContactJob,
    run: RunContext,
    timeZone: string | null,
  ): Promise<ContactSyncOutcome> {
    const fetch: FetchContext = {
      locationId: job.locationId,
      fetchedAt: run.startedAt,
      timeZone: timeZone ?? this.config.DEFAULT_TIMEZONE,
    };
    const snapshot = await this.fetchSnapshot(run.api, job.contactId, fetch);
    if (snapshot.exists) {
      fetch.fieldKeys = await this.fieldKeys.forFieldIds(run.api, fieldIdsOf([snapshot.contact]));
    }

    return this.records.transaction(async (manager) => {
      const written = snapshot.exists
        ? await this.writeSnapshot(manager, job, snapshot, fetch)
        : await this.writeDeletion(manager, job, fetch);
      await this.recordRun(manager, job, written, run);

      return written;
    });
  }

  private async fetchSnapshot(
    api: LocationApi,
    contactId: string,
    fetch: FetchContext,
  ): Promise<ContactSnapshot> {
    try {
      const contact = await api.getContact(contactId);
      // Tasks and notes carry no version from GHL: theirs is the time they were asked for, which
      // a token fetch or a wait for rate budget may put well after the job began. A task sweep
      // page read in between must not count as newer.
      const childrenListedAt = new Date();
      const children = await fetchChildRows(api, contactId, {
        ...fetch,
        fetchedAt: childrenListedAt,
      });

      return { exists: true, contact, children, childrenListedAt };
    } catch (error) {
      // A 404 is GHL telling us the contact is gone: a tombstone, not a failure.
      if (isNotFound(error)) return { exists: false };
      throw error;
    }
  }

  /**
   * The contact, then its children, unless the contact is tombstoned by then: a delete stored
   * after this fetch keeps the contact tombstoned (its version is newer) and its children too
   * (`writeChildren` checks under the contact's lock).
   */
  private async writeSnapshot(
    manager: EntityManager,
    job: SyncContactJob,
    snapshot: Extract<ContactSnapshot, { exists: true }>,
    fetch: FetchContext,
  ): Promise<ContactSyncOutcome> {
    const row = contactRow(snapshot.contact, fetch);
    const contacts = await this.records.upsertContacts(manager, [row]);
    const children = await this.records.writeChildren(
      manager,
      job.locationId,
      {
        contactId: job.contactId,
        rows: snapshot.children,
        contactVersion: row.source_version_at as Date,
      },
      snapshot.childrenListedAt,
    );
    // Through the outbox, so that only a committed completion is notified (see
    // `addTaskCompletedNotices`).
    await this.records.addTaskCompletedNotices(
      manager,
      children.newlyCompletedTasks.map((task) => ({
        locationId: job.locationId,
        contactId: job.contactId,
        taskId: task.id,
        completedAt: (task.completedAt as Date).toISOString(),
      })),
    );

    return {
      counts: { ...emptyCounts(), contacts: contacts.length, ...children.counts },
      contactDeleted: !children.isContactLive,
      completedTaskIds: children.newlyCompletedTasks.map((task) => task.id),
    };
  }

  private async writeDeletion(
    manager: EntityManager,
    job: SyncContactJob,
    fetch: FetchContext,
  ): Promise<ContactSyncOutcome> {
    const tombstoned = await this.records.tombstoneContact(
      manager,
      job.locationId,
      job.contactId,
      fetch.fetchedAt,
    );

    return {
      counts: { ...emptyCounts(), tombstoned: tombstoned ? 1 : 0 },
      contactDeleted: true,
      completedTaskIds: [],
    };
  }

  private async recordRun(
    manager: EntityManager,
    job: SyncContactJob,
    outcome: ContactSyncOutcome,
    run: RunContext,
  ): Promise<void> {
    const saved = await manager
      .getRepository(SyncRun)
      .save(runRow(job, run, { status: 'succeeded', counts: outcome.counts }));
    const event = buildSyncCompletedEvent({
      locationId: job.locationId,
      scope: 'contact',
      contactId: job.contactId,
      trigger: triggerOf(job),
      syncRunId: saved.id,
      contactDeleted: outcome.contactDeleted,
      counts: outcome.counts,
    });
    await this.records.addOutboxEvent(manager, event);
  }

  /** A failed (or interrupted) attempt's run: nothing written, no event. */
  private async recordFailedRun(
    job: SyncContactJob,
    run: RunContext,
    error: unknown,
    isInterrupted: boolean,
  ) {
    const failed = runRow(job, run, {
      status: isInterrupted ? 'interrupted' : 'failed',
      counts: emptyCounts(),
      errorCount: isInterrupted ? 0 : 1,
      lastError: isInterrupted ? null : describeError(error),
    });
    await this.records
      .transaction((manager) => manager.getRepository(SyncRun).save(failed))
      .catch((recordError: unknown) => {
        this.logger.warn(
          {
            locationId: job.locationId,
            contactId: job.contactId,
            jobId: run.jobId,
            error: describeError(recordError),
          },
          'failed contact sync not recorded',
        );
      });
  }
}

/** One attempt of a contact sync: its job, when it began, its GHL handle (which counts calls). */
interface RunContext {
  jobId?: string;
  startedAt: Date;
  api: LocationApi;
}

const triggerOf = (job: SyncContactJob) =>
  job.cause === 'location-sync' ? 'location-sync' : job.cause;

function runRow(
  job: SyncContactJob,
  run: RunContext,
  result: Pick<SyncRun, 'status' | 'counts'> & Partial<Pick<SyncRun, 'errorCount' | 'lastError'>>,
): Partial<SyncRun> {
  const finishedAt = new Date();

  return {
    locationId: job.locationId,
    scope: 'contact',
    contactId: job.contactId,
    trigger: triggerOf(job),
    ghlCalls: run.api.callCount,
    errorCount: 0,
    lastError: null,
    ...result,
    jobId: run.jobId ?? null,
    startedAt: run.startedAt,
    finishedAt,
    durationMs: finishedAt.getTime() - run.startedAt.getTime(),
  };
}
