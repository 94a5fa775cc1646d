import { setMaxListeners } from 'node:events';

import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';

import { JobName, QueueName, SweepTasksJob, SyncLocationJob } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { LocationGate } from '../connections/location-gate.service';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { handBack, RunHandedBack } from '../jobs/job-handback';
import { runForLocation } from '../jobs/location-job';
import { SIGNAL_LISTENERS, WorkerShutdown } from '../jobs/worker-shutdown';
import { TaskSweepService } from '../tasks/task-sweep.service';
import { LocationRunLock } from './location-run-lock.service';
import { LocationSyncService } from './location-sync.service';
import { localDate, NightlyGuard, plannedAt } from './nightly-guard.service';

/** How long a sync waits before it looks again at a location another run holds. */
export const BUSY_LOCATION_RETRY_MS = 30_000;

@Processor(QueueName.LocationSync)
export class LocationSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(LocationSyncProcessor.name);

  constructor(
    private readonly locationSync: LocationSyncService,
    private readonly taskSweep: TaskSweepService,
    private readonly nightly: NightlyGuard,
    private readonly gate: LocationGate,
    private readonly runLock: LocationRunLock,
    private readonly parkedJobs: ParkedJobs,
    private readonly shutdown: WorkerShutdown,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = Math.max(1, Math.floor(this.config.SYNC_CONCURRENCY / 2));
  }

  /**
   * One run per location at a time (`LocationRunLock`). A sweep that fires while the location
   * syncs is skipped: the sync walks the same task search, and the next sweep comes within the
   * hour. A sync that comes while another run holds the location waits in the delayed set: two
   * walks side by side would ask GHL everything twice.
   *
   * On shutdown (`WorkerShutdown`) the walks stop at their next safe point, GHL calls in flight
   * are aborted, and the job goes back to the queue for another replica.
   */
  async process(job: Job<SyncLocationJob | SweepTasksJob>, token?: string) {
    if (job.name !== JobName.SweepTasks && job.name !== JobName.SyncLocation) {
      throw new UnrecoverableError(`no handler: ${job.name}`);
    }
    // Taken as the worker closed: another replica runs it whole.
    if (this.shutdown.isShuttingDown) return handBack(job, token);
    const held = await this.runLock.tryHold(job.data.locationId);
    if (!held && job.name === JobName.SweepTasks) {
      return { skipped: 'location-run-in-progress' as const };
    }
    if (!held) {
      await job.moveToDelayed(Date.now() + BUSY_LOCATION_RETRY_MS, token);
      throw new DelayedError();
    }

    // A run stops on the worker's shutdown, and when its lock went with its connection: another
    // replica may take the location from then on.
    const stop = AbortSignal.any([this.shutdown.runsSignal, held.lost]);
    setMaxListeners(SIGNAL_LISTENERS, stop);
    try {
      return await this.processHeld(job, token, stop);
    } catch (error) {
      // A job already put off (a paused location) is in the delayed set as it is.
      if (error instanceof DelayedError) throw error;
      // A lost lock fails the attempt: retried with backoff and parked after its attempts, so a
      // lock lost again and again ends visible, not handed back in a loop.
      if (held.lost.aborted) throw held.lost.reason;
      // Whatever a run threw once it was told to stop (an aborted GHL call among them), it
      // stopped for that: it is tried again whole, with no attempt spent.
      if (!(error instanceof RunHandedBack) && !stop.aborted) throw error;
    } finally {
      await held.release();
    }
    // Handed back, after the lock is free: the replica that takes the job next finds the
    // location free rather than waiting out BUSY_LOCATION_RETRY_MS.
    this.logger.log(
      { locationId: job.data.locationId, jobId: job.id },
      'run handed back: the worker is shutting down',
    );

    return handBack(job, token);
  }

  private processHeld(
    job: Job<SyncLocationJob | SweepTasksJob>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ) {
    if (job.name === JobName.SweepTasks) {
      return runForLocation(job, token, this.gate, ({ connection }) =>
        this.taskSweep.sweep(job.data, job.id, connection, signal),
      );
    }

    const data = job.data as SyncLocationJob;

    return runForLocation(job, token, this.gate, async ({ connection }) => {
      const isScheduled = data.trigger === 'nightly' && Boolean(job.repeatJobKey);
      if (isScheduled) {
        const timeZone = connection.timezone ?? this.config.DEFAULT_TIMEZONE;
        const date = localDate(plannedAt(job), timeZone);
        const claim = { locationId: data.locationId, timeZone, date, jobId: job.id as string };
        if (!(await this.nightly.claim(claim))) {
          this.logger.log(
            { locationId: data.locationId, jobId: job.id, date, timeZone },
            'nightly skipped',
          );

          return { skipped: 'date-already-synced' as const, date };
        }
      }

      return this.locationSync.sync(data, job.id, connection, signal);
    });
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): Promise<void> {
    return this.parkedJobs.parkIfFinal(QueueName.LocationSync, job, error);
  }
}
