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
 * A marker key is set in Redis, and noted in Postgres (`redis_markers`, per queue prefix). Its
 * absence means a loss once this process has seen it, or once Postgres says a worker has: so a
 * worker that boots after Redis lost its data while no worker ran (a failover to an empty
 * replica during a deploy) recovers too. Of replicas finding it gone at once, the one whose
 * `SET NX` puts it back recovers.
 */
@Injectable()
export class RedisLossWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisLossWatch.name);
  private readonly checks = new FailingStreakLog(this.logger, 'redis loss checks');
  private readonly redis: Redis;
  private readonly markerKey: string;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;
  /** This process saw the marker in Redis, or put it there. */
  private hasSeenMarker = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly enqueuer: JobEnqueuer,
    private readonly schedules: ScheduleKeeper,
  ) {
    // A check fails at once while Redis is away (and the next poll tries again), rather than
    // waiting for it: a check that waited held the boot, and the shutdown, for as long.
    this.redis = new Redis({
      ...redisOptionsFromUrl(config.REDIS_URL),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    this.redis.on('error', () => undefined); // outages are the queues' to report
    this.markerKey = `${config.QUEUE_PREFIX}:sync-worker:redis-marker`;
  }

  /** The first check at boot: a loss while no worker watched is recovered before any poll. */
  async onApplicationBootstrap(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
    const poll = () => {
      this.checking ??= this.check().finally(() => (this.checking = undefined));

      return this.checking;
    };
    await poll();
    this.timer = setInterval(() => void poll(), this.config.OUTBOX_POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    this.redis.disconnect();
  }

  /** Returns true when it found the marker gone and recovered. */
  async check(): Promise<boolean> {
    try {
      const isPutBack =
        (await this.redis.set(this.markerKey, new Date().toISOString(), 'NX')) === 'OK';
      const wasSeen = this.hasSeenMarker || (await this.isMarkerNoted());
      if (!wasSeen) await this.noteMarker();
      this.hasSeenMarker = true;
      this.checks.succeeded();
      if (!isPutBack || !wasSeen) return false;

      this.logger.error({}, 'redis lost its data: republishing events, rescheduling, reconciling');
      await this.recover();

      return true;
    } catch (error) {
      this.checks.failed(error);

      return false;
    }
  }

  /** Whether a worker of this queue prefix has seen its marker in Redis before. */
  private async isMarkerNoted(): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      'SELECT 1 FROM redis_markers WHERE queue_prefix = $1',
      [this.config.QUEUE_PREFIX],
    );

    return rows.length > 0;
  }

  private async noteMarker(): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO redis_markers (queue_prefix) VALUES ($1) ON CONFLICT DO NOTHING',
      [this.config.QUEUE_PREFIX],
    );
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
