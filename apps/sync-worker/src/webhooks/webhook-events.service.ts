import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { Connection, ConnectionStatus, DeliveryStatus, WebhookDelivery } from '@sm/entities';
import { JobPriority } from '@sm/queues';
import { buildSyncCompletedEvent } from '@sm/sync-events';

import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { RecordWriter } from '../records/record-writer.service';
import { routeWebhook, WebhookAction } from './webhook-routes';

export type WebhookOutcome = WebhookAction['kind'] | 'already-done' | 'missing' | 'inactive';

/**
 * Acts on one recorded GHL delivery. Changes become a fresh fetch of the contact (payloads are
 * partial and unordered); deletes become tombstones dated by the delivery, so a late update
 * fetched before the delete cannot undo them.
 */
@Injectable()
export class WebhookEventsService {
  private readonly logger = new Logger(WebhookEventsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: RecordWriter,
    private readonly enqueuer: JobEnqueuer,
  ) {}

  async process(inboxId: string): Promise<WebhookOutcome> {
    const delivery = await this.dataSource
      .getRepository(WebhookDelivery)
      .findOneBy({ id: inboxId });
    if (!delivery) return 'missing';
    if (delivery.status !== DeliveryStatus.Received && delivery.status !== DeliveryStatus.Failed) {
      return 'already-done';
    }

    const locationId = delivery.locationId ?? stringOr(delivery.payload.locationId);
    if (!locationId || !(await this.isActive(locationId))) {
      const reason = 'the location is not an active connection';
      await this.mark(this.dataSource.manager, inboxId, DeliveryStatus.Ignored, reason);

      return 'inactive';
    }

    const action = routeWebhook(delivery.eventType, delivery.payload);
    await this.act(action, delivery, locationId);
    this.logger.log(
      { locationId, webhookId: delivery.webhookId, inboxId, action: action.kind },
      'webhook processed',
    );

    return action.kind;
  }

  private async act(action: WebhookAction, delivery: WebhookDelivery, locationId: string) {
    if (action.kind === 'ignore') {
      return this.mark(this.dataSource.manager, delivery.id, DeliveryStatus.Ignored, action.reason);
    }
    if (action.kind === 'sync-contact') {
      const data = { locationId, contactId: action.contactId, cause: 'webhook' as const };
      await this.enqueuer.syncContact({ ...data, inboxId: delivery.id }, JobPriority.RealTime);

      return this.mark(this.dataSource.manager, delivery.id, DeliveryStatus.Processed);
    }

    const at = deletedAt(delivery);
    await this.records.transaction(async (manager) => {
      const tombstoned =
        action.kind === 'tombstone-contact'
          ? await this.records.tombstoneContact(manager, locationId, action.contactId, at)
          : await this.records.tombstoneChild(
              manager,
              action.child,
              locationId,
              action.contactId,
              action.id,
              at,
            );
      if (tombstoned) {
        const event = buildSyncCompletedEvent({
          locationId,
          scope: 'contact',
          contactId: action.contactId,
          trigger: 'webhook',
          contactDeleted: action.kind === 'tombstone-contact',
          counts: { tombstoned: 1 },
        });
        await this.records.addOutboxEvent(manager, event);
      }
      await this.mark(manager, delivery.id, DeliveryStatus.Processed);
    });
  }

  private async isActive(locationId: string): Promise<boolean> {
    const connection = await this.dataSource.getRepository(Connection).findOneBy({ locationId });

    return connection?.status === ConnectionStatus.Active;
  }

  /** `reason`: why an ignored delivery was not acted on, kept with it in the inbox. */
  private async mark(
    manager: EntityManager,
    inboxId: string,
    status: DeliveryStatus,
    reason: string | null = null,
  ) {
    await manager
      .getRepository(WebhookDelivery)
      .update({ id: inboxId }, { status, processedAt: new Date(), error: reason });
  }
}

const stringOr = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** The delete's version: GHL's own timestamp where it sent one, else when we received it. */
function deletedAt(delivery: WebhookDelivery): Date {
  const stamp = delivery.payload.timestamp;
  const parsed = typeof stamp === 'string' ? new Date(stamp) : null;

  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : delivery.receivedAt;
}
