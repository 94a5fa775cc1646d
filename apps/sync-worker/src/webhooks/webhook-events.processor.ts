import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';

import { DeliveryStatus, WebhookDelivery } from '@sm/entities';
import { JobName, ProcessWebhookJob, QueueName } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { WebhookEventsService } from './webhook-events.service';

@Processor(QueueName.WebhookEvents)
export class WebhookEventsProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly webhooks: WebhookEventsService,
    private readonly parkedJobs: ParkedJobs,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.SYNC_CONCURRENCY;
  }

  async process(job: Job<ProcessWebhookJob>) {
    if (job.name !== JobName.ProcessWebhook)
      throw new UnrecoverableError(`no handler: ${job.name}`);

    return { outcome: await this.webhooks.process(job.data.inboxId) };
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<ProcessWebhookJob> | undefined, error: Error): Promise<void> {
    if (job && typeof job.finishedOn === 'number') {
      await this.dataSource
        .getRepository(WebhookDelivery)
        .update(
          { id: job.data.inboxId },
          { status: DeliveryStatus.Failed, error: describeError(error) },
        )
        .catch(() => undefined); // the row stays `received`; the ingress' sweeper offers it again
    }
    await this.parkedJobs.parkIfFinal(QueueName.WebhookEvents, job, error);
  }
}
