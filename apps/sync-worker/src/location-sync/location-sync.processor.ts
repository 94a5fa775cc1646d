import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';

import { JobName, QueueName, SyncLocationJob } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { LocationGate } from '../connections/location-gate.service';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { runForLocation } from '../jobs/location-job';
import { LocationSyncService } from './location-sync.service';

@Processor(QueueName.LocationSync)
export class LocationSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly locationSync: LocationSyncService,
    private readonly gate: LocationGate,
    private readonly parkedJobs: ParkedJobs,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = Math.max(1, Math.floor(this.config.SYNC_CONCURRENCY / 2));
  }

  async process(job: Job<SyncLocationJob>, token?: string) {
    if (job.name !== JobName.SyncLocation) throw new UnrecoverableError(`no handler: ${job.name}`);

    return runForLocation(job, token, this.gate, ({ connection }) =>
      this.locationSync.sync(job.data, job.id, connection),
    );
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): Promise<void> {
    return this.parkedJobs.parkIfFinal(QueueName.LocationSync, job, error);
  }
}
