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

/** Jobs per addBulk, at most. */
const MAX_BATCH_SIZE = 200;
/** addBulk calls on their way to Redis at once. */
const MAX_ADDS_IN_FLIGHT = 2;
/**
 * How long a dispatched delivery waits for others to share its addBulk, in milliseconds (a full
 * batch goes at once). BullMQ's cost per job falls steeply with the batch: about 110 µs of CPU
 * (client and Redis) in batches of 5, 45 µs in batches of 200. No answer waits on the window:
 * it is sent before the dispatch; only the job reaches Redis up to this much later.
 */
export const DISPATCH_WINDOW_MS = 10;

// TODO: BullMQ's per-job work (a Job, its JSON and msgpack, one Lua call each inside addBulk)
// costs about 85 µs of the 2-core bench machine's CPU per delivery: in `npm run bench -- ingress`
// the verify+insert floor reaches about 0.23 of the bare server and verify+insert+enqueue 0.16,
// against the 0.25. The lever left is one job per location and batch (a job naming many
// inbox ids), which changes the ingress -> sync-worker contract and the parked-job replay; not
// done, because even the floor without the queue sits under 0.25 on this machine. Safe for now:
// the answer never waits on it, and the row, not the job, is what makes a delivery durable.
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
  private pending: { delivery: PendingDelivery; resolve: (isQueued: boolean) => void }[] = [];
  private window: NodeJS.Timeout | undefined;
  private readonly adding = new Set<Promise<void>>();

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

  /**
   * Resolves true when the job is on its queue, false when Redis could not take it now. The
   * deliveries dispatched within {@link DISPATCH_WINDOW_MS} of each other go to Redis together
   * (one addBulk per queue), when the window closes or the batch is full; while
   * {@link MAX_ADDS_IN_FLIGHT} addBulk calls are on their way, the next waits for one of them and
   * takes everything dispatched meanwhile.
   */
  dispatch(delivery: PendingDelivery): Promise<boolean> {
    if (!this.isConnected || !routeOf(delivery.eventType)) return Promise.resolve(false);

    return new Promise((resolve) => {
      this.pending.push({ delivery, resolve });
      if (this.pending.length >= MAX_BATCH_SIZE) return this.flush();
      this.window ??= setTimeout(() => this.flush(), DISPATCH_WINDOW_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.window);
    this.window = undefined;
    if (this.pending.length === 0 || this.adding.size >= MAX_ADDS_IN_FLIGHT) return;

    const batch = this.pending.splice(0, MAX_BATCH_SIZE);
    const adding = this.addByQueue(batch.map(({ delivery }) => delivery)).then((queued) => {
      for (const { delivery, resolve } of batch) resolve(queued.has(delivery.inboxId));
    });
    this.adding.add(adding);
    void adding.finally(() => {
      this.adding.delete(adding);
      // Deliveries with no window open were held back by the cap: they go now.
      if (!this.window) this.flush();
    });
    if (this.pending.length > 0) this.flush();
  }

  /** Adds every routable delivery (one round trip per queue); the number Redis took. */
  async dispatchMany(deliveries: PendingDelivery[]): Promise<number> {
    return (await this.addByQueue(deliveries)).size;
  }

  /** The inbox ids Redis took; a queue whose addBulk failed is logged and left to the sweeper. */
  private async addByQueue(deliveries: PendingDelivery[]): Promise<Set<string>> {
    const queued = new Set<string>();
    if (!this.isConnected) return queued;

    const byQueue = new Map<DeliveryQueue, PendingDelivery[]>();
    for (const delivery of deliveries) {
      const route = routeOf(delivery.eventType);
      if (!route) continue;
      const batch = byQueue.get(route.queue) ?? [];
      batch.push(delivery);
      byQueue.set(route.queue, batch);
    }
    await Promise.all(
      [...byQueue].map(async ([queueName, batch]) => {
        try {
          await this.queues[queueName].addBulk(batch.map(jobOf));
          for (const delivery of batch) queued.add(delivery.inboxId);
        } catch (error) {
          this.logger.warn(
            { queue: queueName, count: batch.length, err: error },
            'enqueue failed; the sweeper will retry',
          );
        }
      }),
    );

    return queued;
  }

  async onApplicationShutdown(): Promise<void> {
    // What was dispatched before the shutdown still goes out; what fails, the sweeper re-adds.
    while (this.pending.length > 0 || this.adding.size > 0) {
      this.flush();
      await Promise.allSettled([...this.adding]);
    }
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
