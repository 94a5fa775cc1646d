import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import {
  ConnectionEventJob,
  DEFAULT_JOB_OPTIONS,
  ProcessWebhookJob,
  QueueName,
  redisOptionsFromUrl,
} from '@sm/queues';

import { INGRESS_CONFIG, WebhookIngressConfig } from '../../config/webhook-ingress.config';
import { DeliveryQueue, routeOf } from '../events/ghl-event-catalog';
import type { PendingDelivery } from '../inbox/webhook-inbox.repository';

/**
 * Puts recorded deliveries on their queue. The job id is the inbox id, so adding the same
 * delivery again (the sweeper does) is a no-op while the job exists.
 *
 * The inbox row is what makes a delivery durable, so this producer fails fast instead of
 * waiting: its Redis connection has no offline queue, and nothing is sent while it is not
 * connected. A delivery that does not reach Redis stays `received` and the sweeper adds it later.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly redis: Redis;
  private readonly queues: Record<DeliveryQueue, Queue>;

  constructor(@Inject(INGRESS_CONFIG) config: WebhookIngressConfig) {
    this.redis = new Redis({
      ...redisOptionsFromUrl(config.REDIS_URL),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.watchConnection();
    const queue = (name: DeliveryQueue) => {
      const created = new Queue(name, {
        connection: this.redis,
        prefix: config.QUEUE_PREFIX,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      created.on('error', () => undefined);

      return created;
    };
    this.queues = {
      [QueueName.WebhookEvents]: queue(QueueName.WebhookEvents),
      [QueueName.ConnectionEvents]: queue(QueueName.ConnectionEvents),
    };
  }

  /** Outages are logged once each way, not once per reconnection attempt. */
  private watchConnection(): void {
    let isDown = false;
    this.redis.on('error', () => undefined);
    this.redis.on('close', () => {
      if (isDown) return;
      isDown = true;
      this.logger.warn('redis connection lost; recorded deliveries wait for the sweeper');
    });
    this.redis.on('ready', () => {
      if (!isDown) return;
      isDown = false;
      this.logger.log('redis connection restored');
    });
  }

  get isConnected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Resolves true when the job is on its queue, false when Redis could not take it now. */
  async dispatch(delivery: PendingDelivery): Promise<boolean> {
    const route = routeOf(delivery.eventType);
    if (!this.isConnected || !route) return false;

    const { name, data, opts } = jobOf(delivery);
    try {
      await this.queues[route.queue].add(name, data, opts);

      return true;
    } catch (error) {
      this.logger.warn(
        { queue: route.queue, err: error },
        'enqueue failed; the sweeper will retry',
      );

      return false;
    }
  }

  /** Adds every routable delivery (one round trip per queue); the number Redis took. */
  async dispatchMany(deliveries: PendingDelivery[]): Promise<number> {
    if (!this.isConnected) return 0;

    const byQueue = new Map<DeliveryQueue, PendingDelivery[]>();
    for (const delivery of deliveries) {
      const route = routeOf(delivery.eventType);
      if (!route) continue;
      const batch = byQueue.get(route.queue) ?? [];
      batch.push(delivery);
      byQueue.set(route.queue, batch);
    }
    let added = 0;
    for (const [queueName, batch] of byQueue) {
      try {
        await this.queues[queueName].addBulk(batch.map(jobOf));
        added += batch.length;
      } catch (error) {
        this.logger.warn(
          { queue: queueName, err: error },
          'enqueue failed; the sweeper will retry',
        );
      }
    }

    return added;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(Object.values(this.queues).map((queue) => queue.close()));
    this.redis.disconnect();
  }
}

function jobOf(delivery: PendingDelivery) {
  const route = routeOf(delivery.eventType);
  const data: ProcessWebhookJob | ConnectionEventJob =
    route?.queue === QueueName.ConnectionEvents
      ? {
          inboxId: delivery.inboxId,
          locationId: delivery.locationId,
          companyId: delivery.companyId,
        }
      : {
          inboxId: delivery.inboxId,
          locationId: delivery.locationId,
          eventType: delivery.eventType,
        };

  return { name: route?.jobName ?? '', data, opts: { jobId: delivery.inboxId } };
}
