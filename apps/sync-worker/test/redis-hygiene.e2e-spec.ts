import { QueueName } from '@sm/queues';
import { PrivateRedis } from '@sm/testing';

import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';
import { SyncWorkerStack } from './support/sync-worker-stack';
import { openQueues } from './support/test-queues';

const SERVICE_TOKEN = 'hygiene-service-token-0123456789abcd';

/** The stack on a private Redis started with these arguments, and stopped before it. */
function useStackOnPrivateRedis(name: string, redisArguments: string[]) {
  const redis = new PrivateRedis();
  const stack = new SyncWorkerStack({ name, serviceToken: SERVICE_TOKEN, redis });

  beforeAll(async () => {
    await redis.start(redisArguments);
    await stack.start();
  }, 60_000);

  afterAll(async () => {
    await stack.stop();
    await redis.stop();
  });

  return { redis, stack };
}

describe('Redis hygiene of the sync worker', () => {
  const { redis, stack } = useStackOnPrivateRedis('hygiene', ['--maxmemory-policy', 'allkeys-lru']);

  it('is not ready while Redis may evict keys, and ready under noeviction', async () => {
    const evicting = await fetch(`${stack.url}/health/ready`);
    const body = (await evicting.json()) as Record<string, unknown>;
    await redis.run((client) => client.config('SET', 'maxmemory-policy', 'noeviction'));
    const safe = await fetch(`${stack.url}/health/ready`);

    expect(evicting.status).toBe(503);
    expect(JSON.stringify(body)).toMatch(/maxmemory-policy is allkeys-lru/);
    expect(safe.status).toBe(200);
  });

  it('answers readiness at once, 503, while Redis is frozen and answers nothing', async () => {
    redis.freeze();
    try {
      const startedAt = Date.now();
      const frozen = await fetch(`${stack.url}/health/ready`);
      const elapsedMs = Date.now() - startedAt;

      expect(frozen.status).toBe(503);
      // Well inside a probe's timeout: the check gives up on Redis after a second.
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      redis.resume();
    }
  });

  it('keeps finished jobs in bounded numbers', async () => {
    const enqueuer = stack.app.get(JobEnqueuer);
    const added = await enqueuer.syncContact({
      locationId: 'SMhygieneLocation001',
      contactId: 'SMhygieneContact0001',
      cause: 'manual',
    });
    const { [QueueName.ContactSync]: queue } = openQueues([QueueName.ContactSync], {
      prefix: stack.prefix,
      redisUrl: redis.url,
    });

    const job = await queue.getJob(added.id as string);
    await queue.close();

    expect(job?.opts.removeOnComplete).toEqual({
      count: expect.any(Number),
      age: expect.any(Number),
    });
    expect(job?.opts.removeOnFail).toEqual({ count: expect.any(Number), age: expect.any(Number) });
  });
});

describe('readiness on a Redis that refuses CONFIG, as managed services do', () => {
  const { stack } = useStackOnPrivateRedis('hygiene-noconfig', [
    '--maxmemory-policy',
    'allkeys-lru',
    '--rename-command',
    'CONFIG',
    '',
  ]);

  it('is not ready while INFO reports an evicting policy', async () => {
    const ready = await fetch(`${stack.url}/health/ready`);

    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toMatch(/maxmemory-policy is allkeys-lru/);
  });
});
