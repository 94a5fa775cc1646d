import { randomBytes } from 'node:crypto';

import type { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import request from 'supertest';
import { DataSource, Like } from 'typeorm';

import { createDataSource, Notification } from '@sm/entities';
import { listeningPort, startService } from '@sm/platform';
import {
  AdminAlertJob,
  JobName,
  QueueName,
  redisOptionsFromUrl,
  TaskCompletedJob,
} from '@sm/queues';
import {
  createTestDatabase,
  eventually,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
  WebhookEndpoint,
} from '@sm/testing';

import { AppModule } from '../src/app.module';
import { notificationServiceEnv } from '../src/config/notification-service.config';
import { deliveryQueueName } from '../src/delivery/delivery-queues';

import { seedCompletedTask } from './records';

// Webhook paths stand for the secret part of a real incoming-webhook URL.
const TEAM = '/services/T1/B1/team-secret';
const FLAKY = '/services/T1/B2/flaky-secret';
const DOWN = '/services/T1/B3/down-secret';
const GONE = '/services/T1/B4/revoked-secret';
const ARCHIVED = '/services/T1/B5/archived-secret';
const ADMIN = '/services/T1/B9/admin-secret';
const ATTEMPTS = 3;

describe('notification-service', () => {
  let database: TestDatabase;
  let records: DataSource;
  let endpoint: WebhookEndpoint;
  let app: INestApplication;
  let notifications: Queue;
  let delivery: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    records = await createDataSource(database.url).initialize();
    endpoint = await new WebhookEndpoint().start();
    endpoint.respond(FLAKY, (attempt) => (attempt < ATTEMPTS ? 500 : 200));
    endpoint.respond(DOWN, () => 500);
    endpoint.respond(GONE, () => 404);
    endpoint.respond(ARCHIVED, () => ({ status: 200, json: { ok: false, error: 'archived' } }));

    const prefix = uniqueQueuePrefix('notif');
    const config = notificationServiceEnv.parse({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      NOTIFY_TEAM_SLACK_WEBHOOK_URL: endpoint.url(TEAM),
      NOTIFY_ADMIN_SLACK_WEBHOOK_URL: endpoint.url(ADMIN),
      NOTIFY_TEAM_ROUTES: JSON.stringify({
        'loc-flaky': endpoint.url(FLAKY),
        'loc-down': endpoint.url(DOWN),
        'loc-gone': endpoint.url(GONE),
        'loc-archived': endpoint.url(ARCHIVED),
      }),
      NOTIFY_DELIVERY_ATTEMPTS: String(ATTEMPTS),
      NOTIFY_BACKOFF_MS: '40',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });

    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    notifications = new Queue(QueueName.Notifications, { connection, prefix });
    delivery = new Queue(deliveryQueueName('slack'), { connection, prefix });
  });

  afterAll(async () => {
    await app?.close();
    for (const queue of [notifications, delivery]) {
      await queue?.obliterate({ force: true });
      await queue?.close();
    }
    await endpoint?.stop();
    await records?.destroy();
    await database?.drop();
  });

  /** Both queues have nothing left to run: every retry has happened. */
  async function settled(): Promise<void> {
    await eventually(
      async () => {
        const counts = await Promise.all(
          [notifications, delivery].map((queue) =>
            queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
          ),
        );
        const pending = counts.flatMap((count) => Object.values(count));

        return pending.every((value) => value === 0) ? true : undefined;
      },
      20_000,
      'the queues to settle',
    );
  }

  async function completeTask(ids: TaskCompletedJob): Promise<void> {
    await seedCompletedTask(records, ids, {
      title: 'Send the roof survey',
      firstName: 'Dana',
      lastName: 'Reyes',
      assignedTo: 'user-77',
    });
  }

  function notificationWithKey(dedupeKey: string): Promise<Notification> {
    return records.getRepository(Notification).findOneByOrFail({ dedupeKey });
  }

  function adminPostsAbout(notificationId: string) {
    return endpoint.postsTo(ADMIN).filter((post) => post.body.text.includes(notificationId));
  }

  it('serves liveness and a readiness that checks Postgres and Redis', async () => {
    const server = `http://127.0.0.1:${listeningPort(app)}`;

    const ready = await request(server).get('/health/ready');

    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('posts one team message naming the task, contact, assignee and location', async () => {
    const ids = { locationId: 'loc-main', contactId: 'c-1', taskId: 't-1' };
    await completeTask(ids);

    await notifications.add(JobName.TaskCompleted, ids);
    await settled();

    const posts = endpoint.postsTo(TEAM);
    expect(posts).toHaveLength(1);
    expect(posts[0].contentType).toBe('application/json');
    expect(posts[0].body.text).toBe(
      'Task completed: "Send the roof survey" for Dana Reyes, assigned to user user-77, ' +
        'in location loc-main',
    );
    expect(JSON.stringify(posts[0].body.blocks)).toContain('*Contact*\\nDana Reyes');
    const row = await notificationWithKey('task-completed:loc-main:t-1:slack');
    expect(row).toMatchObject({ status: 'delivered', audience: 'team', channel: 'slack' });
    expect(row.attempts).toBe(1);
    expect(row.deliveredAt).toBeInstanceOf(Date);
  });

  it('tells the team once per completion: again after a reopen, not for a replay', async () => {
    const ids = { locationId: 'loc-main', contactId: 'c-2b', taskId: 't-2b' };
    await completeTask(ids);
    const postsBefore = endpoint.postsTo(TEAM).length;
    const first = { ...ids, completedAt: '2026-03-01T10:00:00.000Z' };
    const again = { ...ids, completedAt: '2026-03-02T09:30:00.000Z' };

    await notifications.add(JobName.TaskCompleted, first);
    await settled();
    await notifications.add(JobName.TaskCompleted, first);
    await notifications.add(JobName.TaskCompleted, again);
    await settled();
    await notifications.add(JobName.TaskCompleted, again);
    await settled();

    expect(endpoint.postsTo(TEAM).length - postsBefore).toBe(2);
    const keys = await records.getRepository(Notification).find({
      where: { dedupeKey: Like('task-completed:loc-main:t-2b:%') },
      order: { dedupeKey: 'ASC' },
    });
    expect(keys.map((row) => row.dedupeKey)).toEqual([
      `task-completed:loc-main:t-2b:${Date.parse(first.completedAt)}:slack`,
      `task-completed:loc-main:t-2b:${Date.parse(again.completedAt)}:slack`,
    ]);
  });

  it('sends nothing more when the same task is reported completed again', async () => {
    const ids = { locationId: 'loc-main', contactId: 'c-2', taskId: 't-2' };
    await completeTask(ids);
    const postsBefore = endpoint.postsTo(TEAM).length;

    await notifications.add(JobName.TaskCompleted, ids);
    await notifications.add(JobName.TaskCompleted, ids);
    await settled();
    await notifications.add(JobName.TaskCompleted, ids);
    await settled();

    expect(endpoint.postsTo(TEAM).length - postsBefore).toBe(1);
    const rows = await records
      .getRepository(Notification)
      .countBy({ dedupeKey: 'task-completed:loc-main:t-2:slack' });
    expect(rows).toBe(1);
  });

  it('retries with backoff while the endpoint fails and delivers once it recovers', async () => {
    const ids = { locationId: 'loc-flaky', contactId: 'c-3', taskId: 't-3' };
    await completeTask(ids);

    await notifications.add(JobName.TaskCompleted, ids);
    await settled();

    expect(endpoint.postsTo(FLAKY)).toHaveLength(ATTEMPTS);
    const row = await notificationWithKey('task-completed:loc-flaky:t-3:slack');
    expect(row).toMatchObject({ status: 'delivered', attempts: ATTEMPTS });
    expect(adminPostsAbout(row.id)).toEqual([]);
  });

  it('marks the notification failed after its last attempt and alerts admins once', async () => {
    const ids = { locationId: 'loc-down', contactId: 'c-4', taskId: 't-4' };
    await completeTask(ids);

    await notifications.add(JobName.TaskCompleted, ids);
    await settled();
    await notifications.add(JobName.TaskCompleted, ids);
    await settled();

    expect(endpoint.postsTo(DOWN)).toHaveLength(ATTEMPTS);
    const row = await notificationWithKey('task-completed:loc-down:t-4:slack');
    expect(row).toMatchObject({ status: 'failed', attempts: ATTEMPTS, lastError: 'HTTP 500' });
    const alerts = adminPostsAbout(row.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].body.text).toMatch(/^\[notification-failed\] A task-completed notice/);
    expect(alerts[0].body.text).toContain('location loc-down');
    expect(alerts[0].body.text).not.toContain('Dana');
  });

  it('gives up at once on a webhook that no longer exists, and alerts admins', async () => {
    const ids = { locationId: 'loc-gone', contactId: 'c-5', taskId: 't-5' };
    await completeTask(ids);

    await notifications.add(JobName.TaskCompleted, ids);
    await settled();

    expect(endpoint.postsTo(GONE)).toHaveLength(1);
    const row = await notificationWithKey('task-completed:loc-gone:t-5:slack');
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 404' });
    expect(adminPostsAbout(row.id)).toHaveLength(1);
  });

  it('gives up at once on a 200 whose body says the post failed, and alerts admins', async () => {
    const ids = { locationId: 'loc-archived', contactId: 'c-6', taskId: 't-6' };
    await completeTask(ids);

    await notifications.add(JobName.TaskCompleted, ids);
    await settled();

    expect(endpoint.postsTo(ARCHIVED)).toHaveLength(1);
    const row = await notificationWithKey('task-completed:loc-archived:t-6:slack');
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'HTTP 200 with ok: false',
    });
    expect(adminPostsAbout(row.id)).toHaveLength(1);
  });

  it('sends an admin alert once per dedupe key', async () => {
    const alert: AdminAlertJob = {
      kind: 'job-parked',
      locationId: 'loc-main',
      dedupeKey: 'job-parked:contact-sync:42',
      summary: 'A contact sync was parked after repeated failures',
    };

    await notifications.add(JobName.AdminAlert, alert);
    await notifications.add(JobName.AdminAlert, alert);
    await notifications.add(JobName.AdminAlert, { ...alert, dedupeKey: 'job-parked:other' });
    await settled();

    const parked = endpoint
      .postsTo(ADMIN)
      .filter((post) => post.body.text.startsWith('[job-parked]'));
    expect(parked.map((post) => post.body.text)).toEqual([
      '[job-parked] A contact sync was parked after repeated failures',
      '[job-parked] A contact sync was parked after repeated failures',
    ]);
    const stored = await notificationWithKey('admin-alert:job-parked:contact-sync:42:slack');
    expect(stored).toMatchObject({ audience: 'admin', kind: 'job-parked', status: 'delivered' });
  });

  it('shows an unreadable-token alert with its key id, and refuses one naming a key', async () => {
    const alert: AdminAlertJob = {
      kind: 'connection-token-unreadable',
      locationId: 'loc-ring',
      keyId: 'k7',
      dedupeKey: 'connection-token-unreadable:loc-ring:3:key-missing:k7',
      summary: 'The stored token of location loc-ring (sealed with key k7) opens with no key',
    };
    // What a pasted key ring entry looks like: an id and 32 bytes.
    const aKey = `k7:${randomBytes(32).toString('base64')}`;

    await notifications.add(JobName.AdminAlert, alert);
    const refused = await notifications.add(JobName.AdminAlert, {
      ...alert,
      dedupeKey: `${alert.dedupeKey}:pasted`,
      keyId: aKey,
    });
    await settled();

    const posts = endpoint.postsTo(ADMIN).filter((post) => post.body.text.includes('loc-ring'));
    expect(posts.map((post) => post.body.text)).toEqual([
      `[connection-token-unreadable] ${alert.summary}`,
    ]);
    expect(JSON.stringify(posts[0].body.blocks)).toContain('*Key id*\\nk7');
    expect(JSON.stringify(endpoint.received)).not.toContain(aKey);
    expect(await refused.getState()).toBe('failed');
  });
});
