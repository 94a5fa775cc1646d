import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';

import { DEFAULT_JOB_OPTIONS, QueueName, redisOptionsFromUrl } from '@sm/queues';

import { ChannelRegistry } from '../channels/channel-registry';
import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from '../config/notification-service.config';

export const DELIVER_NOTIFICATION_JOB = 'notification.deliver';

/** A delivery job carries the notification's id only; the message is on its row. */
export interface DeliverNotificationJob {
  notificationId: string;
}

/** `notification-delivery.<channel>`: each channel its own queue, so its own rate limit. */
export function deliveryQueueName(channelId: string): string {
  return `${QueueName.NotificationDelivery}.${channelId}`;
}

export function deliveryConnection(config: NotificationServiceConfig): ConnectionOptions {
  return redisOptionsFromUrl(config.REDIS_URL) as ConnectionOptions;
}

/** Puts notifications on their channel's delivery queue, with the configured retries. */
@Injectable()
export class DeliveryQueues implements OnModuleDestroy {
  private readonly queues = new Map<string, Queue<DeliverNotificationJob>>();

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
    registry: ChannelRegistry,
  ) {
    for (const channel of registry.all()) {
      const queue = new Queue<DeliverNotificationJob>(deliveryQueueName(channel.id), {
        connection: deliveryConnection(config),
        prefix: config.QUEUE_PREFIX,
      });
      this.queues.set(channel.id, queue);
    }
  }

  /**
   * The job id is the notification's id: asking twice for one notification while its job is
   * waiting, retrying or kept as failed adds nothing.
   */
  async enqueue(notification: { id: string; channel: string }): Promise<void> {
    const queue = this.queues.get(notification.channel);
    if (!queue) throw new Error(`No delivery queue for channel ${notification.channel}`);

    await queue.add(
      DELIVER_NOTIFICATION_JOB,
      { notificationId: notification.id },
      {
        ...DEFAULT_JOB_OPTIONS,
        jobId: notification.id,
        attempts: this.config.NOTIFY_DELIVERY_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.config.NOTIFY_BACKOFF_MS },
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
