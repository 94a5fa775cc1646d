import { uniqueQueuePrefix } from '@sm/testing';
import Redis from 'ioredis';

import { GhlApiError } from '../errors';
import { RedisRateGovernor, type RedisRateGovernorOptions } from './redis-rate-governor';

const LOCATION = 'loc-governed';
const inOneMinute = () => Date.now() + 60_000;

describe('RedisRateGovernor', () => {
  const connections: Redis[] = [];
  const governors: RedisRateGovernor[] = [];
  const redisOf = new Map<RedisRateGovernor, Redis>();
  let keyPrefix: string;

  /** A governor on its own Redis connection, as another replica would have. */
  function replica(options: Partial<RedisRateGovernorOptions> = {}): RedisRateGovernor {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });
    connections.push(redis);

    const governor = new RedisRateGovernor({ redis, keyPrefix, windowMarginMs: 0, ...options });
    governors.push(governor);
    redisOf.set(governor, redis);

    return governor;
  }

  beforeEach(() => {
    keyPrefix = `${uniqueQueuePrefix('ghl-rate')}:rate`;
  });

  afterEach(async () => {
    await Promise.all(governors.splice(0).map((governor) => governor.reset(LOCATION)));
  });

  afterAll(async () => {
    await Promise.all(connections.map((redis) => redis.quit()));
  });

  it('grants the burst at once, then makes the next call wait for the window', async () => {
    const governor = replica({ burstLimit: 5, burstWindowMs: 1_000 });
    const slot = { priority: 'realtime' as const, deadline: inOneMinute() };
    const started = Date.now();

    for (let i = 0; i < 5; i++) await governor.acquire(LOCATION, slot);
    const burstMs = Date.now() - started;
    await governor.acquire(LOCATION, slot);
    const sixthMs = Date.now() - started;

    expect(burstMs).toBeLessThan(900);
    expect(sixthMs).toBeGreaterThanOrEqual(990);
  });

  it('shares one burst between replicas', async () => {
    const [a, b] = [
      replica({ burstLimit: 6, burstWindowMs: 1_000 }),
      replica({ burstLimit: 6, burstWindowMs: 1_000 }),
    ];
    const slot = { priority: 'realtime' as const, deadline: inOneMinute() };
    const grantedAt: number[] = [];
    const started = Date.now();

    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).acquire(LOCATION, slot).then(() => grantedAt.push(Date.now() - started)),
      ),
    );

    expect(grantedAt.filter((ms) => ms < 900)).toHaveLength(6);
    expect(grantedAt.filter((ms) => ms >= 990)).toHaveLength(6);
  });

  it('keeps the daily reserve for realtime calls', async () => {
    const governor = replica({ dailyLimit: 10, realtimeReserve: 0.2 });
    const reconciliation = { priority: 'reconciliation' as const, deadline: inOneMinute() };
    const realtime = { priority: 'realtime' as const, deadline: inOneMinute() };

    for (let i = 0; i < 8; i++) await governor.acquire(LOCATION, reconciliation);
    const ninth = governor.acquire(LOCATION, reconciliation);
    await expect(ninth).rejects.toBeInstanceOf(GhlApiError);
    await governor.acquire(LOCATION, realtime);
    await governor.acquire(LOCATION, realtime);
    const overDaily = governor.acquire(LOCATION, realtime);

    await expect(ninth).rejects.toMatchObject({ budget: 'daily' });
    await expect(overDaily).rejects.toMatchObject({ kind: 'rate', budget: 'daily' });
  });

  it('serves a waiting realtime call before a waiting reconciliation call', async () => {
    const governor = replica({ burstLimit: 2, burstWindowMs: 300 });
    const realtime = { priority: 'realtime' as const, deadline: inOneMinute() };
    const reconciliation = { priority: 'reconciliation' as const, deadline: inOneMinute() };
    await governor.acquire(LOCATION, realtime);
    await governor.acquire(LOCATION, realtime);
    const order: string[] = [];

    const waitingReconciliation = governor
      .acquire(LOCATION, reconciliation)
      .then(() => order.push('reconciliation'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const waitingRealtime = governor.acquire(LOCATION, realtime).then(() => order.push('realtime'));
    await Promise.all([waitingReconciliation, waitingRealtime]);

    expect(order).toEqual(['realtime', 'reconciliation']);
  });

  it('pauses the location for the window GHL announces after a 429', async () => {
    const governor = replica();
    const slot = { priority: 'realtime' as const, deadline: inOneMinute() };
    const headers = { 'x-ratelimit-interval-milliseconds': '300', 'x-ratelimit-remaining': '0' };
    const started = Date.now();

    await governor.observe(LOCATION, { status: 429, headers });
    await governor.acquire(LOCATION, slot);

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('counts the calls GHL reports in its headers but did not see granted', async () => {
    const governor = replica({ burstLimit: 10, burstWindowMs: 300 });
    const slot = { priority: 'realtime' as const, deadline: inOneMinute() };
    const headers = {
      'x-ratelimit-max': '10',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-interval-milliseconds': '300',
    };
    const started = Date.now();

    await governor.observe(LOCATION, { status: 200, headers });
    await governor.acquire(LOCATION, slot);

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('counts a call from its answer: a slow answer holds its slot a window past it', async () => {
    const governor = replica({ burstLimit: 1, burstWindowMs: 300 });
    const slot = { priority: 'realtime' as const, deadline: inOneMinute() };
    const headers = { 'x-ratelimit-interval-milliseconds': '300' };
    const started = Date.now();

    const granted = await governor.acquire(LOCATION, slot);
    await new Promise((resolve) => setTimeout(resolve, 200)); // GHL takes 200 ms to answer
    await governor.observe(LOCATION, { status: 200, headers, slot: granted });
    await governor.acquire(LOCATION, slot);

    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
  });

  it('skips the Redis round trip for an answer that carries no rate headers', async () => {
    const governor = replica();
    const redis = connections[connections.length - 1] as Redis & { ghlRateObserve: unknown };
    const observed = jest.spyOn(redis, 'ghlRateObserve' as never);

    await governor.observe(LOCATION, { status: 200, headers: { 'content-type': 'text/json' } });
    await governor.observe(LOCATION, { status: 429, headers: {} });
    await governor.observe(LOCATION, { status: 200, headers: { 'x-ratelimit-remaining': '9' } });

    expect(observed).toHaveBeenCalledTimes(2);
  });

  describe('slots reserved in batches', () => {
    /** Calls `acquire` `count` times, `lanes` at a time; answers when each was granted (ms). */
    async function grantTimes(governor: RedisRateGovernor, count: number, lanes: number) {
      const slot = { priority: 'reconciliation' as const, deadline: inOneMinute() };
      const times: number[] = [];
      let asked = 0;
      const lane = async () => {
        while (asked < count) {
          asked += 1;
          await governor.acquire(LOCATION, slot);
          times.push(Date.now());
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));

      return times;
    }

    const acquireCalls = (governor: RedisRateGovernor) =>
      jest.spyOn(redisOf.get(governor) as never, 'ghlRateAcquire' as never);

    it('grants many calls with few Redis round trips', async () => {
      const governor = replica({ burstLimit: 1_000, slotBatch: 16 });
      const calls = acquireCalls(governor);

      const times = await grantTimes(governor, 200, 32);

      expect(times).toHaveLength(200);
      expect(calls.mock.calls.length).toBeLessThan(30);
    });

    it('asks once per call with slotBatch 1', async () => {
      const governor = replica({ burstLimit: 1_000, slotBatch: 1 });
      const calls = acquireCalls(governor);

      await grantTimes(governor, 20, 4);

      expect(calls).toHaveBeenCalledTimes(20);
    });

    it('lets two replicas together take no more than the burst in any window', async () => {
      const limits = { burstLimit: 40, burstWindowMs: 500, slotBatch: 16 };
      const [a, b] = [replica(limits), replica(limits)];

      const times = (await Promise.all([grantTimes(a, 100, 8), grantTimes(b, 100, 8)]))
        .flat()
        .sort((x, y) => x - y);

      expect(times).toHaveLength(200);
      // The 41st grant after any grant comes a whole window later (a few ms of timer slack).
      const gaps = times.slice(limits.burstLimit).map((time, i) => time - times[i]);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(limits.burstWindowMs - 5);
    });

    it('lets two replicas together spend no more than the day', async () => {
      const limits = { dailyLimit: 50, realtimeReserve: 0, burstLimit: 1_000, slotBatch: 16 };
      const [a, b] = [replica(limits), replica(limits)];
      const slot = { priority: 'reconciliation' as const, deadline: inOneMinute() };
      let granted = 0;
      let refused = 0;
      const spend = (governor: RedisRateGovernor) =>
        Promise.all(
          Array.from({ length: 40 }, () =>
            governor.acquire(LOCATION, slot).then(
              () => (granted += 1),
              (error: GhlApiError) => (refused += error.budget === 'daily' ? 1 : 0),
            ),
          ),
        );

      await Promise.all([spend(a), spend(b)]);

      expect(granted).toBe(50);
      expect(refused).toBe(30);
    });

    it('drops reserved slots its lease outlived, and asks Redis again', async () => {
      const governor = replica({ burstLimit: 1_000, slotBatch: 16, slotLeaseMs: 50 });
      const calls = acquireCalls(governor);
      await grantTimes(governor, 40, 16); // leaves slots of the last batch unused
      const before = calls.mock.calls.length;

      await new Promise((resolve) => setTimeout(resolve, 80));
      await grantTimes(governor, 1, 1);

      expect(calls.mock.calls.length).toBe(before + 1);
    });
  });

  it('fails at once when the wait would pass the deadline', async () => {
    const governor = replica({ burstLimit: 1, burstWindowMs: 5_000 });
    await governor.acquire(LOCATION, { priority: 'realtime', deadline: inOneMinute() });
    const started = Date.now();

    const late = governor.acquire(LOCATION, { priority: 'realtime', deadline: Date.now() + 100 });

    await expect(late).rejects.toMatchObject({ kind: 'rate', status: 429, budget: 'burst' });
    expect(Date.now() - started).toBeLessThan(100);
  });
});
