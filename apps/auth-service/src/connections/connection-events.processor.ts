import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';

import { DeliveryStatus, WebhookDelivery } from '@sm/entities';
import { ConnectionEventJob, JobName, QueueName } from '@sm/queues';

import { AgencyInstallService } from './agency-install.service';
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
    private readonly agency: AgencyInstallService,
  ) {
    super();
  }

  async process(job: Job<ConnectionEventJob>): Promise<void> {
    const { inboxId, locationId, companyId } = job.data;
    const delivery = await this.dataSource.manager.findOneBy(WebhookDelivery, { id: inboxId });
    const isPending = delivery && delivery.status !== DeliveryStatus.Processed;
    if (!isPending) return;

    const approved = approvedLocationsOf(delivery.payload);
    const acted = await this.act(job.name, { locationId, companyId, approved });
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

  private async act(name: string, event: InstallEvent): Promise<boolean> {
    const { locationId, companyId, approved } = event;
    if (name === JobName.AppUninstalled && locationId) {
      return this.connections.uninstall(locationId);
    }
    if (name === JobName.AppUninstalled && companyId) {
      // An agency-level UNINSTALL carries only the company id.
      return this.connections.uninstallAgency(companyId);
    }
    if (name === JobName.AppInstalled && locationId && companyId) {
      return this.connections.installFromAgency(companyId, locationId);
    }
    if (name === JobName.AppInstalled && companyId) {
      // An agency-level (bulk) INSTALL: every approved, or else every installed, location.
      const outcome = await this.agency.connectLocations(companyId, approved);

      return outcome.connected.length > 0;
    }

    return false;
  }
}

interface InstallEvent {
  locationId: string | null;
  companyId: string | null;
  approved: string[];
}

/** A bulk INSTALL may name its locations (`approvedLocations`); the examples do not. */
function approvedLocationsOf(payload: unknown): string[] {
  const listed = (payload as { approvedLocations?: unknown } | null)?.approvedLocations;

  return Array.isArray(listed) ? listed.filter((id): id is string => typeof id === 'string') : [];
}
