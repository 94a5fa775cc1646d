import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';

import { JobName, QueueName, SweepTasksJob, SyncLocationJob } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { LocationGate } from '../connections/location-gate.service';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { runForLocation } from '../jobs/location-job';
import { TaskSweepService } from '../tasks/task-sweep.service';
import { LocationSyncService } from './location-sync.service';
import { localDate, NightlyGuard, plannedAt } from './nightly-guard.service';

@Processor(QueueName.LocationSync)
export class LocationSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(LocationSyncProcessor.name);

  constructor(
    private readonly locationSync: LocationSyncService,
    private readonly taskSweep: TaskSweepService,
    private readonly nightly: NightlyGuard,
    private readonly gate: LocationGate,
    private readonly parkedJobs: ParkedJobs,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = Math.max(1, Math.floor(this.config.SYNC_CONCURRENCY / 2));
  }

  async process(job: Job<SyncLocationJob | SweepTasksJob>, token?: string) {
    // TODO: a sweep that fires (TASK_SWEEP_CRON) while a first or on-demand sync of the same
    // location runs walks the same task search beside it: every task is still stored, but the
    // tasks the sweep writes first count in its run, not the sync's (a 10k-contact test: 18,887
    // of 19,887), and GHL is asked twice. Skipping the sweep while such a run is open needs a
    // run lock that a killed worker cannot leave behind; until then the counts are only low.
    if (job.name === JobName.SweepTasks) {
      return runForLocation(job, token, this.gate, ({ connection }) =>
        this.taskSweep.sweep(job.data, job.id, connection),
      );
    }
    if (job.name !== JobName.SyncLocation) throw new UnrecoverableError(`no handler: ${job.name}`);

    const data = job.data as SyncLocationJob;

    return runForLocation(job, token, this.gate, async ({ connection }) => {
      const isScheduled = data.trigger === 'nightly' && Boolean(job.repeatJobKey);
      if (isScheduled) {
        const zone = connection.timezone ?? this.config.DEFAULT_TIMEZONE;
        const date = localDate(plannedAt(job), zone);
        if (!(await this.nightly.claim(data.locationId, date, job.id as string))) {
          this.logger.log({ locationId: data.locationId, jobId: job.id, date }, 'nightly skipped');

          return { skipped: 'date-already-synced' as const, date };
        }
      }

      return this.locationSync.sync(data, job.id, connection);
    });
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): Promise<void> {
    return this.parkedJobs.parkIfFinal(QueueName.LocationSync, job, error);
  }
}
