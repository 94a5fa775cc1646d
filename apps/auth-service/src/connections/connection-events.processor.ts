import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';

import { DeliveryStatus, WebhookDelivery } from '@sm/entities';
import { ConnectionEventJob, JobName, QueueName } from '@sm/queues';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { ghlAppIdOf } from '../config/ghl-app-id';
import { AgencyInstallService } from './agency-install.service';
import { AppEventOrigin, appEventOrigin } from './app-event-audience';
import { ConnectionsService } from './connections.service';

/**
 * INSTALL / UNINSTALL deliveries recorded by the webhook ingress. Each job is idempotent: an
 * inbox row already processed is skipped, and both actions converge when repeated. A delivery
 * that is not for our app (see `appEventOrigin`) changes nothing: it is marked ignored and the
 * job completes, since a retry would not make it ours.
 */
@Processor(QueueName.ConnectionEvents)
export class ConnectionEventsProcessor extends WorkerHost {
  private readonly logger = new Logger(ConnectionEventsProcessor.name);
  private readonly appId: string;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthServiceConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly connections: ConnectionsService,
    private readonly agency: AgencyInstallService,
  ) {
    super();
    this.appId = ghlAppIdOf(config.GHL_CLIENT_ID);
  }

  async process(job: Job<ConnectionEventJob>): Promise<void> {
    const { inboxId, locationId, companyId } = job.data;
    const delivery = await this.dataSource.manager.findOneBy(WebhookDelivery, { id: inboxId });
    const isPending = delivery && delivery.status !== DeliveryStatus.Processed;
    if (!isPending) return;

    const origin = appEventOrigin(delivery.payload, this.appId);
    if (origin.audience !== 'ours') {
      this.reportForeign(job, origin);
      await this.finish(inboxId, false);

      return;
    }

    const approved = approvedLocationsOf(delivery.payload);
    const acted = await this.act(job.name, { locationId, companyId, approved });
    await this.finish(inboxId, acted);
    this.logger.log({ locationId, jobId: job.id, event: job.name, acted }, 'connection event');
  }

  private async finish(inboxId: string, acted: boolean): Promise<void> {
    await this.dataSource.manager.update(
      WebhookDelivery,
      { id: inboxId },
      {
        status: acted ? DeliveryStatus.Processed : DeliveryStatus.Ignored,
        processedAt: new Date(),
      },
    );
  }

  /** Warn: a signed event of another app reaching us is either a misrouting or a replay. */
  private reportForeign(job: Job<ConnectionEventJob>, origin: AppEventOrigin): void {
    const { locationId, companyId } = job.data;
    const jobId = job.id;
    const fields = { locationId, companyId, jobId, event: job.name, eventAppId: origin.eventAppId };
    const message =
      origin.audience === 'unnamed'
        ? 'connection event names no app: ignored'
        : "another app's connection event: ignored";
    this.logger.warn({ ...fields, ourAppId: this.appId }, message);
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
