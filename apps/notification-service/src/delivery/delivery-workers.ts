import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { Worker } from 'bullmq';

import { ChannelRegistry } from '../channels/channel-registry';
import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from '../config/notification-service.config';

import { DeliverNotificationJob, deliveryConnection, deliveryQueueName } from './delivery-queues';
import { DeliveryService } from './delivery.service';

const ONE_MINUTE_MS = 60_000;

/**
 * One BullMQ worker per channel queue. The limiter is kept in Redis, so NOTIFY_RATE_PER_MINUTE
 * holds per channel across every replica; jobs over the limit wait, they do not fail.
 */
@Injectable()
export class DeliveryWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorkers.name);
  private readonly workers: Worker<DeliverNotificationJob>[] = [];

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
    private readonly registry: ChannelRegistry,
    private readonly delivery: DeliveryService,
  ) {}

  onApplicationBootstrap(): void {
    for (const channel of this.registry.all()) {
      const worker = new Worker<DeliverNotificationJob>(
        deliveryQueueName(channel.id),
        (job) => this.delivery.deliver(job),
        {
          connection: deliveryConnection(this.config),
          prefix: this.config.QUEUE_PREFIX,
          concurrency: 4,
          limiter: { max: this.config.NOTIFY_RATE_PER_MINUTE, duration: ONE_MINUTE_MS },
        },
      );
      worker.on('error', (error) =>
        this.logger.error({ channel: channel.id, err: error }, 'delivery worker error'),
      );
      this.workers.push(worker);
    }
  }

  /** Runs before the database closes: jobs in flight finish and record their outcome. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
