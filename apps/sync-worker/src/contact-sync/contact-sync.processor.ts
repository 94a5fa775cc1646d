import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';

import { JobName, QueueName, SyncContactJob } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { LocationGate } from '../connections/location-gate.service';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { handBack } from '../jobs/job-handback';
import { runForLocation } from '../jobs/location-job';
import { WorkerShutdown } from '../jobs/worker-shutdown';
import { ContactSyncService } from './contact-sync.service';

@Processor(QueueName.ContactSync)
export class ContactSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly contactSync: ContactSyncService,
    private readonly gate: LocationGate,
    private readonly parkedJobs: ParkedJobs,
    private readonly shutdown: WorkerShutdown,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.SYNC_CONCURRENCY;
  }

  /**
   * A sync that GHL holds past the shutdown's drain deadline (`WorkerShutdown`) is stopped and
   * goes back to the queue without spending an attempt: it is idempotent, and the next replica
   * fetches again.
   */
  async process(job: Job<SyncContactJob>, token?: string) {
    if (job.name !== JobName.SyncContact) throw new UnrecoverableError(`no handler: ${job.name}`);
    const signal = this.shutdown.jobsSignal;
    if (signal.aborted) return handBack(job, token);

    try {
      return await runForLocation(job, token, this.gate, ({ connection }) =>
        this.contactSync.sync(job.data, { jobId: job.id, timeZone: connection.timezone, signal }),
      );
    } catch (error) {
      // A job already put off (a paused location) is in the delayed set as it is.
      if (error instanceof DelayedError || !signal.aborted) throw error;
    }

    return handBack(job, token);
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): Promise<void> {
    return this.parkedJobs.parkIfFinal(QueueName.ContactSync, job, error);
  }
}
