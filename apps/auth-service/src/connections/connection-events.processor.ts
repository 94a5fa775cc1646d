import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';

import { DeliveryStatus, WebhookDelivery } from '@sm/entities';
import { ConnectionEventJob, JobName, QueueName } from '@sm/queues';

import { ConnectionsService } from './connections.service';

/**
 * INSTALL / UNINSTALL deliveries recorded by the webhook ingress. Each job is idempotent: an
 * inbox row already processed is skipped, and both actions converge when repeated.
 */
@Processor(QueueName.ConnectionEvents)
export class ConnectionEventsProcessor extends WorkerHost {
  private readonly logger = new Logger(ConnectionEventsProcessor.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly connections: ConnectionsService,
  ) {
    super();
  }

  async process(job: Job<ConnectionEventJob>): Promise<void> {
    const { inboxId, locationId, companyId } = job.data;
    const delivery = await this.dataSource.manager.findOneBy(WebhookDelivery, { id: inboxId });
    const isPending = delivery && delivery.status !== DeliveryStatus.Processed;
    if (!isPending) return;

    const acted = await this.act(job.name, locationId, companyId);
    await this.dataSource.manager.update(
      WebhookDelivery,
      { id: inboxId },
      {
        status: acted ? DeliveryStatus.Processed : DeliveryStatus.Ignored,
        processedAt: new Date(),
      },
    );
    this.logger.log({ locationId, jobId: job.id, event: job.name, acted }, 'connection event');
  }

  private act(name: string, locationId: string | null, companyId: string | null) {
    if (name === JobName.AppUninstalled) {
      // An agency-level UNINSTALL carries only the company id.
      const ownerId = locationId ?? companyId;

      return ownerId ? this.connections.uninstall(ownerId) : Promise.resolve(false);
    }
    if (name === JobName.AppInstalled && locationId && companyId) {
      return this.connections.installFromAgency(companyId, locationId);
    }

    return Promise.resolve(false);
  }
}
