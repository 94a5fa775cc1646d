import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Job, UnrecoverableError } from 'bullmq';
import { Repository } from 'typeorm';

import { Notification } from '@sm/entities';

import { ChannelRegistry } from '../channels/channel-registry';
import { ChannelRouter } from '../channels/channel-router';
import { DeliveryError, deliveryErrorForRequest } from '../channels/delivery-error';
import { NotificationMessage, NotificationStatus } from '../messages/notification-message';
import { AdminAlertService } from '../notifications/admin-alert.service';
import { recipientOfRow } from '../notifications/notification-intake.service';

import type { DeliverNotificationJob } from './delivery-queues';

/**
 * Sends one notification through its channel and records the outcome on its row. A row that is
 * no longer pending is never sent again, whatever the queue replays.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    @InjectRepository(Notification) private readonly notifications: Repository<Notification>,
    private readonly registry: ChannelRegistry,
    private readonly router: ChannelRouter,
    private readonly alerts: AdminAlertService,
  ) {}

  async deliver(job: Job<DeliverNotificationJob>): Promise<void> {
    const { notificationId } = job.data;
    const notification = await this.notifications.findOneBy({ id: notificationId });
    if (!notification || notification.status !== NotificationStatus.Pending) return;

    await this.notifications.increment({ id: notificationId }, 'attempts', 1);
    // TODO: a crash after the far end answered 2xx and before the row is marked delivered sends
    // the message once more on the job's retry: incoming webhooks take no idempotency key. It is
    // rare (a window of one UPDATE) and a repeated notice does no harm beyond noise.
    try {
      await this.send(notification);
    } catch (error) {
      const failure = deliveryErrorForRequest(error);
      await this.recordFailure(notification, failure, job);
      throw failure.permanent ? new UnrecoverableError(failure.reason) : failure;
    }

    await this.notifications.update(
      { id: notificationId, status: NotificationStatus.Pending },
      { status: NotificationStatus.Delivered, deliveredAt: new Date(), lastError: null },
    );
    this.logger.log(
      { ...logFields(notification), jobId: job.id, attempt: job.attemptsMade + 1 },
      'notification delivered',
    );
  }

  /** The route is resolved at send time: the destination is a secret kept only in config. */
  private async send(notification: Notification): Promise<void> {
    const recipient = recipientOfRow(notification);
    const route = this.router.routeThrough(recipient, notification.channel);
    const channel = this.registry.get(notification.channel);
    if (!route || !channel) {
      throw DeliveryError.permanent(`no ${notification.channel} destination configured`);
    }

    await channel.send(
      {
        id: notification.id,
        kind: notification.kind,
        audience: recipient.audience,
        locationId: notification.locationId,
        message: notification.message as unknown as NotificationMessage,
      },
      route.destination,
    );
  }

  private async recordFailure(
    notification: Notification,
    failure: DeliveryError,
    job: Job<DeliverNotificationJob>,
  ): Promise<void> {
    const hasExhaustedAttempts = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const isFinal = failure.permanent || hasExhaustedAttempts;
    const fields = { ...logFields(notification), jobId: job.id, reason: failure.reason };

    await this.notifications.update({ id: notification.id }, { lastError: failure.reason });
    if (!isFinal) {
      this.logger.warn({ ...fields, attempt: job.attemptsMade + 1 }, 'delivery failed, will retry');

      return;
    }

    // The alert goes first: it is deduplicated, so a crash before the row is marked failed
    // cannot send it twice, while the reverse order could lose it.
    if (notification.audience === 'team') await this.alertAdmins(notification, failure);
    await this.notifications.update(
      { id: notification.id, status: NotificationStatus.Pending },
      { status: NotificationStatus.Failed },
    );
    this.logger.error(fields, 'notification failed, giving up');
  }

  private async alertAdmins(notification: Notification, failure: DeliveryError): Promise<void> {
    const where = notification.locationId ? ` for location ${notification.locationId}` : '';
    await this.alerts.raise({
      kind: 'notification-failed',
      locationId: notification.locationId,
      dedupeKey: `notification-failed:${notification.id}`,
      summary:
        `A ${notification.kind} notice${where} could not be delivered through ` +
        `${notification.channel} (${failure.reason}); notification id ${notification.id}.`,
    });
  }
}

/** Ids only: the message itself names people and stays out of the logs. */
function logFields(notification: Notification) {
  const refs = (notification.message as Partial<NotificationMessage> | null)?.refs;

  return {
    notificationId: notification.id,
    locationId: notification.locationId,
    taskId: refs?.taskId ?? undefined,
    kind: notification.kind,
    channel: notification.channel,
  };
}
