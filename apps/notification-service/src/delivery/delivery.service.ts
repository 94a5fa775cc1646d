import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Job, UnrecoverableError } from 'bullmq';
import { Repository } from 'typeorm';

import { Notification } from '@sm/entities';

import { ChannelRegistry } from '../channels/channel-registry';
import { ChannelRouter } from '../channels/channel-router';
import {
  DeliveryError,
  deliveryErrorForRequest,
  RecipientsRefusedError,
} from '../channels/delivery-error';
import type { DeliveryReceipt } from '../channels/notification-channel';
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
    let receipt: DeliveryReceipt | void;
    try {
      receipt = await this.send(notification);
    } catch (error) {
      const failure = deliveryErrorForRequest(error);
      await this.recordFailure(notification, failure, job);
      throw failure.permanent ? new UnrecoverableError(failure.reason) : failure;
    }

    // Every recipient left took it on this try; one that refused it for good before still fails
    // the row, for an operator to see.
    const accepted = receipt?.acceptedRecipients ?? [];
    const earlierRefusal = refusalOnAnEarlierTry(notification, accepted);
    if (earlierRefusal) {
      await this.recordFailure(notification, earlierRefusal, job);
      throw new UnrecoverableError(earlierRefusal.reason);
    }
    await this.markDelivered(notification, accepted, job);
  }

  /** `accepted`: the e-mail recipients this try went to, kept beside those of earlier tries. */
  private async markDelivered(
    notification: Notification,
    accepted: string[],
    job: Job<DeliverNotificationJob>,
  ): Promise<void> {
    const acceptedBefore = notification.acceptedRecipients;

    await this.notifications.update(
      { id: notification.id, status: NotificationStatus.Pending },
      {
        status: NotificationStatus.Delivered,
        deliveredAt: new Date(),
        lastError: null,
        ...(acceptedBefore && { acceptedRecipients: union(acceptedBefore, accepted) }),
      },
    );
    this.logger.log(
      { ...logFields(notification), jobId: job.id, attempt: job.attemptsMade + 1 },
      'notification delivered',
    );
  }

  /** The route is resolved at send time: the destination is a secret kept only in config. */
  private async send(notification: Notification): Promise<DeliveryReceipt | void> {
    const recipient = recipientOfRow(notification);
    const route = this.router.routeThrough(recipient, notification.channel);
    const channel = this.registry.get(notification.channel);
    if (!route || !channel) {
      throw DeliveryError.permanent(`no ${notification.channel} destination configured`);
    }

    return channel.send(
      {
        id: notification.id,
        kind: notification.kind,
        audience: recipient.audience,
        locationId: notification.locationId,
        message: notification.message as unknown as NotificationMessage,
        settledRecipients: [
          ...(notification.acceptedRecipients ?? []),
          ...(notification.refusedRecipients ?? []),
        ],
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
    const recipients = recipientsAfter(notification, failure, isFinal);

    await this.notifications.update(
      { id: notification.id },
      { lastError: failure.reason, ...recipients },
    );
    if (!isFinal) {
      this.logger.warn({ ...fields, attempt: job.attemptsMade + 1 }, 'delivery failed, will retry');

      return;
    }

    // The alert goes first: it is deduplicated, so a crash before the row is marked failed
    // cannot send it twice, while the reverse order could lose it.
    const refused = recipients.refusedRecipients ?? notification.refusedRecipients ?? [];
    if (notification.audience === 'team') {
      await this.alertAdmins(notification, failure, refused.length > 0);
    }
    await this.notifications.update(
      { id: notification.id, status: NotificationStatus.Pending },
      { status: NotificationStatus.Failed },
    );
    this.logger.error(fields, 'notification failed, giving up');
  }

  /** `namesRefused`: the row lists refused recipients, which the alert points to (not names). */
  private async alertAdmins(
    notification: Notification,
    failure: DeliveryError,
    namesRefused: boolean,
  ): Promise<void> {
    const where = notification.locationId ? ` for location ${notification.locationId}` : '';
    const look = namesRefused ? ' Its refused_recipients column names who refused it.' : '';
    await this.alerts.raise({
      kind: 'notification-failed',
      locationId: notification.locationId,
      dedupeKey: `notification-failed:${notification.id}`,
      summary:
        `A ${notification.kind} notice${where} could not be delivered through ` +
        `${notification.channel} (${failure.reason}); notification id ${notification.id}.${look}`,
    });
  }
}

type RecipientColumns = Partial<Pick<Notification, 'acceptedRecipients' | 'refusedRecipients'>>;

/**
 * The recipient columns after a try that some recipients refused: those that took it join the
 * accepted, those that refused for good (or still deferred it when the row gives up) the refused.
 * A recipient that deferred it is in neither, so the next try is sent to it alone.
 */
function recipientsAfter(
  notification: Notification,
  failure: DeliveryError,
  isFinal: boolean,
): RecipientColumns {
  if (!(failure instanceof RecipientsRefusedError)) return {};
  const settledRefusals = failure.refused
    .filter((recipient) => recipient.permanent || isFinal)
    .map((recipient) => recipient.address);

  return {
    acceptedRecipients: union(notification.acceptedRecipients, failure.accepted),
    refusedRecipients: union(notification.refusedRecipients, settledRefusals),
  };
}

function union(known: string[] | null, more: string[]): string[] | null {
  const all = [...new Set([...(known ?? []), ...more])];

  return all.length > 0 ? all : null;
}

/**
 * The failure of a row that some recipient refused for good on an earlier try, if one did, once
 * this try's `accepted` took it: final, and it adds them to the row's accepted recipients.
 */
function refusalOnAnEarlierTry(
  notification: Notification,
  accepted: string[],
): RecipientsRefusedError | undefined {
  const refused = notification.refusedRecipients ?? [];
  if (refused.length === 0) return undefined;

  return new RecipientsRefusedError(
    `SMTP 5xx for ${refused.length} of the recipients, on an earlier try`,
    accepted,
    [],
  );
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
