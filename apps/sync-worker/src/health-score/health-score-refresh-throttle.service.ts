import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

import { redisOptionsFromUrl } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';

/**
 * One live refresh per contact per `HEALTH_SCORE_REFRESH_INTERVAL_MS`: each spends a realtime
 * GHL call from the location's budget, and a read key must not be able to spend it at will. The
 * slot is a Redis key with that expiry, so every replica shares it.
 */
@Injectable()
export class HealthScoreRefreshThrottle implements OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly intervalMs: number;

  constructor(@Inject(SYNC_WORKER_CONFIG) config: SyncWorkerConfig) {
    // An HTTP request fails during an outage instead of waiting for Redis as a job would.
    this.redis = new Redis({ ...redisOptionsFromUrl(config.REDIS_URL), maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.keyPrefix = `${config.QUEUE_PREFIX}:sync-worker:health-score-refresh`;
    this.intervalMs = config.HEALTH_SCORE_REFRESH_INTERVAL_MS;
  }

  /** Takes the contact's slot: 0 when it was free, else the seconds until it frees. */
  async take(locationId: string, contactId: string): Promise<number> {
    const key = `${this.keyPrefix}:${locationId}:${contactId}`;
    const isTaken = (await this.redis.set(key, '1', 'PX', this.intervalMs, 'NX')) === 'OK';
    if (isTaken) return 0;

    const remainingMs = await this.redis.pttl(key);

    return Math.max(1, Math.ceil(remainingMs / 1000));
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
