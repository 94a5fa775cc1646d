import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';
import { redisOptionsFromUrl } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { FailingStreakLog } from '../failures/failing-streak-log';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { ScheduleKeeper } from '../location-sync/schedule-keeper.service';

/**
 * Notices that Redis lost its data (a FLUSHALL, a failover to an empty replica, an eviction) and
 * puts back what lived only there: events already published are published again (consumers
 * deduplicate by event id), the schedulers are set again, and every location gets a
 * reconciliation run, which refetches what queued contact syncs would have fetched.
 *
 * A marker key is set at boot; while this process has seen it, its absence means a loss.
 */
@Injectable()
export class RedisLossWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisLossWatch.name);
  private readonly checks = new FailingStreakLog(this.logger, 'redis loss checks');
  private readonly redis: Redis;
  private readonly markerKey: string;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly enqueuer: JobEnqueuer,
    private readonly schedules: ScheduleKeeper,
  ) {
    this.redis = new Redis({ ...redisOptionsFromUrl(config.REDIS_URL), lazyConnect: true });
    this.redis.on('error', () => undefined); // outages are the queues' to report
    this.markerKey = `${config.QUEUE_PREFIX}:sync-worker:redis-marker`;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
    await this.redis.set(this.markerKey, new Date().toISOString(), 'NX').catch(() => undefined);
    this.timer = setInterval(() => {
      this.checking ??= this.check().finally(() => (this.checking = undefined));
    }, this.config.OUTBOX_POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    this.redis.disconnect();
  }

  /** Returns true when it found the marker gone and recovered. */
  async check(): Promise<boolean> {
    try {
      const wasMissing =
        (await this.redis.set(this.markerKey, new Date().toISOString(), 'NX')) === 'OK';
      this.checks.succeeded();
      if (!wasMissing) return false;

      this.logger.error({}, 'redis lost its data: republishing events, rescheduling, reconciling');
      await this.recover();

      return true;
    } catch (error) {
      this.checks.failed(error);

      return false;
    }
  }

  private async recover(): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox_events SET published_at = NULL
       WHERE published_at > now() - make_interval(secs => $1)`,
      [this.config.OUTBOX_REPLAY_WINDOW_MS / 1000],
    );
    await this.schedules.keepAll();
    const connections = await this.dataSource
      .getRepository(Connection)
      .findBy({ status: ConnectionStatus.Active });
    for (const { locationId } of connections) {
      await this.enqueuer.syncLocation({ locationId, trigger: 'nightly' });
    }
  }
}
