import { ConnectionOptions, Queue } from 'bullmq';
import type { DataSource } from 'typeorm';

import { createDataSource } from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import {
  createTestDatabase,
  eventually,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
  WebhookEndpoint,
} from '@sm/testing';

import { deliveryQueueName } from '../src/delivery/delivery-queues';

import { seedCompletedTask } from './records';

const TEAM = '/services/T7/B7/team-webhook-secret';
const ADMIN = '/services/T7/B8/admin-webhook-secret';
const RATE_PER_MINUTE = 2;

/** The service as it runs in production: its own process, started by main.ts from env. */
describe('notification-service as a process', () => {
  let database: TestDatabase;
  let records: DataSource;
  let endpoint: WebhookEndpoint;
  let service: ServiceProcess;
  let notifications: Queue;
  let delivery: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    records = await createDataSource(database.url).initialize();
    endpoint = await new WebhookEndpoint().start();
    const prefix = uniqueQueuePrefix('notif-proc');
    const port = await freePort();

    service = await startServiceProcess({
      entry: 'apps/notification-service/src/main.ts',
      readyUrl: `http://127.0.0.1:${port}/health/ready`,
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'debug',
        NOTIFY_TEAM_SLACK_WEBHOOK_URL: endpoint.url(TEAM),
        NOTIFY_ADMIN_SLACK_WEBHOOK_URL: endpoint.url(ADMIN),
        NOTIFY_RATE_PER_MINUTE: String(RATE_PER_MINUTE),
      },
    });

    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    notifications = new Queue(QueueName.Notifications, { connection, prefix });
    delivery = new Queue(deliveryQueueName('slack'), { connection, prefix });
  });

  afterAll(async () => {
    await service?.stop();
    for (const queue of [notifications, delivery]) {
      await queue?.obliterate({ force: true });
      await queue?.close();
    }
    await endpoint?.stop();
    await records?.destroy();
    await database?.drop();
  });

  it('holds a channel to its rate limit and logs no webhook URL nor personal data', async () => {
    const tasks = ['t-r1', 't-r2', 't-r3'].map((taskId, index) => ({
      locationId: 'loc-proc',
      contactId: `c-r${index}`,
      taskId,
    }));
    for (const ids of tasks) {
      await seedCompletedTask(records, ids, {
        title: 'Confirm the panel delivery',
        firstName: 'Mirela',
        lastName: 'Okonkwo',
        assignedTo: null,
      });
    }

    await Promise.all(tasks.map((ids) => notifications.add(JobName.TaskCompleted, ids)));
    await eventually(
      async () => (endpoint.postsTo(TEAM).length >= RATE_PER_MINUTE ? true : undefined),
      15_000,
      'the first messages',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(endpoint.postsTo(TEAM)).toHaveLength(RATE_PER_MINUTE);
    expect(await delivery.getWaitingCount()).toBe(1);
    const logs = service.output();
    expect(logs).toContain('"msg":"notification delivered"');
    expect(logs).toContain('"taskId":"t-r1"');
    for (const secretOrPersonal of ['webhook-secret', 'Mirela', 'Okonkwo', 'panel delivery']) {
      expect(logs).not.toContain(secretOrPersonal);
    }
  });
});
