import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';

import { loadConfig } from '@sm/config';
import { listeningPort, startService } from '@sm/platform';
import { QueueName, redisOptionsFromUrl } from '@sm/queues';
import { createTestDatabase, TestDatabase, uniqueQueuePrefix, PrivateRedis } from '@sm/testing';

import { AppModule } from '../src/app.module';
import { syncWorkerEnv } from '../src/config/sync-worker.config';
import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';

describe('Redis hygiene of the sync worker', () => {
  const redis = new PrivateRedis();
  let database: TestDatabase;
  let app: INestApplication;
  let url = '';
  const prefix = uniqueQueuePrefix('hygiene');

  beforeAll(async () => {
    await redis.start(['--maxmemory-policy', 'allkeys-lru']);
    database = await createTestDatabase();
    const config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      SERVICE_TOKEN: 'hygiene-service-token-0123456789abcd',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${listeningPort(app)}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await redis.stop();
    await database?.drop();
  });

  it('is not ready while Redis may evict keys, and ready under noeviction', async () => {
    const evicting = await fetch(`${url}/health/ready`);
    const body = (await evicting.json()) as Record<string, unknown>;
    await redis.run((client) => client.config('SET', 'maxmemory-policy', 'noeviction'));
    const safe = await fetch(`${url}/health/ready`);

    expect(evicting.status).toBe(503);
    expect(JSON.stringify(body)).toMatch(/maxmemory-policy is allkeys-lru/);
    expect(safe.status).toBe(200);
  });

  it('answers readiness at once, 503, while Redis is frozen and answers nothing', async () => {
    redis.freeze();
    try {
      const startedAt = Date.now();
      const frozen = await fetch(`${url}/health/ready`);
      const elapsedMs = Date.now() - startedAt;

      expect(frozen.status).toBe(503);
      // Well inside a probe's timeout: the check gives up on Redis after a second.
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      redis.resume();
    }
  });

  it('keeps finished jobs in bounded numbers', async () => {
    const enqueuer = app.get(JobEnqueuer);
    const added = await enqueuer.syncContact({
      locationId: 'SMhygieneLocation001',
      contactId: 'SMhygieneContact0001',
      cause: 'manual',
    });
    const queue = new Queue(QueueName.ContactSync, {
      connection: redisOptionsFromUrl(redis.url) as ConnectionOptions,
      prefix,
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
  const redis = new PrivateRedis();
  let database: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    await redis.start(['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
    database = await createTestDatabase();
    const config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniqueQueuePrefix('hygiene-noconfig'),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      SERVICE_TOKEN: 'hygiene-service-token-0123456789abcd',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await redis.stop();
    await database?.drop();
  });

  it('is not ready while INFO reports an evicting policy', async () => {
    const ready = await fetch(`http://127.0.0.1:${listeningPort(app)}/health/ready`);

    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toMatch(/maxmemory-policy is allkeys-lru/);
  });
});
