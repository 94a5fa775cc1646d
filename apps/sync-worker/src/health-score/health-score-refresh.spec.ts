import type { ModuleRef } from '@nestjs/core';

import { freePort, uniqueQueuePrefix } from '@sm/testing';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { HealthScoreRefresh } from './health-score-refresh.service';
import { HealthScoreRefreshThrottle } from './health-score-refresh-throttle.service';
import type { HealthScoreService } from './health-score.service';

describe('the health score refresh without Redis', () => {
  let throttle: HealthScoreRefreshThrottle;

  beforeAll(async () => {
    // A port nothing listens on: the throttle's Redis refuses every connection.
    const config = {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      QUEUE_PREFIX: uniqueQueuePrefix('refresh-no-redis'),
      HEALTH_SCORE_REFRESH_INTERVAL_MS: 30_000,
    } as SyncWorkerConfig;
    throttle = new HealthScoreRefreshThrottle(config);
  });

  afterAll(() => throttle.onApplicationShutdown());

  it('answers 503 naming the problem, before any GHL call', async () => {
    const refresh = new HealthScoreRefresh({} as ModuleRef, {} as HealthScoreService, throttle);

    const refused = await refresh.refresh('SMnoRedisLocation001', 'contact-1').catch((e) => e);

    expect(refused.getStatus?.()).toBe(503);
    expect(refused.getResponse()).toMatchObject({
      message: 'the refresh budget cannot be checked; retry later',
    });
  });
});
