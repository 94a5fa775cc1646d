import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';

import { JobName, QueueName, SyncContactJob } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { LocationGate } from '../connections/location-gate.service';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { runForLocation } from '../jobs/location-job';
import { ContactSyncService } from './contact-sync.service';

@Processor(QueueName.ContactSync)
export class ContactSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly contactSync: ContactSyncService,
    private readonly gate: LocationGate,
    private readonly parkedJobs: ParkedJobs,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.SYNC_CONCURRENCY;
  }

  async process(job: Job<SyncContactJob>, token?: string) {
    if (job.name !== JobName.SyncContact) throw new UnrecoverableError(`no handler: ${job.name}`);

    return runForLocation(job, token, this.gate, ({ connection }) =>
      this.contactSync.sync(job.data, { jobId: job.id, timeZone: connection.timezone }),
    );
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): Promise<void> {
    return this.parkedJobs.parkIfFinal(QueueName.ContactSync, job, error);
  }
}
