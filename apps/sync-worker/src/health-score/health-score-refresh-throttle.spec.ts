import { TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { HealthScoreRefreshThrottle } from './health-score-refresh-throttle.service';

describe('the health score refresh throttle', () => {
  const config = {
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniqueQueuePrefix('refresh-throttle'),
    HEALTH_SCORE_REFRESH_INTERVAL_MS: 30_000,
  } as SyncWorkerConfig;
  const replicaA = new HealthScoreRefreshThrottle(config);
  const replicaB = new HealthScoreRefreshThrottle(config);

  afterAll(() => {
    replicaA.onApplicationShutdown();
    replicaB.onApplicationShutdown();
  });

  it('gives a contact one refresh per window across replicas, saying when next', async () => {
    const first = await replicaA.take('LocationA', 'contact-1');

    const second = await replicaB.take('LocationA', 'contact-1');

    expect(first).toBe(0);
    expect(second).toBeGreaterThan(25);
    expect(second).toBeLessThanOrEqual(30);
  });

  it('keeps apart the same contact id of another location, and other contacts', async () => {
    await replicaA.take('LocationA', 'contact-2');

    const otherLocation = await replicaB.take('LocationB', 'contact-2');
    const otherContact = await replicaB.take('LocationA', 'contact-3');

    expect([otherLocation, otherContact]).toEqual([0, 0]);
  });
});
