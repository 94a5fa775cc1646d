import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { Connection, ConnectionStatus, dataSourceOptions, Task } from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { startService } from '@sm/platform';
import {
  createTestDatabase,
  eventually,
  ServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import { AppModule } from '../src/app.module';
import { syncWorkerEnv } from '../src/config/sync-worker.config';
import { ContactSyncService } from '../src/contact-sync/contact-sync.service';
import { TaskSweepService } from '../src/tasks/task-sweep.service';
import { FULL_SCOPES } from './crash/crash-harness';
import { Listening, sandboxAccessToken, startSandbox, startTokenEndpoint } from './sandbox-harness';
import { GhlRecord, SandboxExport } from './support/ghl-records';

const LOCATION = 'SMtaskNoticeRollback';
const SERVICE_TOKEN = 'notice-rollback-service-token-01234';

/**
 * GHL gives a task no completion time: a completion's version is the time SolarMarket first saw
 * it, which a write that rolls back never stores. Its retry, fetching later, sees the completion
 * at another time; a notice queued by the rolled-back write would be a second one.
 */
describe('task-completed notices of a write that rolls back', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sandbox: { url: string; process: ServiceProcess };
  let tokens: Listening;
  let app: INestApplication;
  let notifications: Queue;
  const prefix = uniqueQueuePrefix('notice-rollback');

  const exportSandbox = async (): Promise<SandboxExport> =>
    (await fetch(`${sandbox.url}/_sandbox/export/${LOCATION}`)).json() as Promise<SandboxExport>;
  const complete = async (task: GhlRecord) => {
    const response = await fetch(`${sandbox.url}/_sandbox/locations/${LOCATION}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'task.complete', contactId: task.contactId, taskId: task.id }),
    });
    expect(response.status).toBeLessThan(300);
  };
  const connection = () =>
    dataSource.getRepository(Connection).findOneByOrFail({ locationId: LOCATION });
  const sweep = async (jobId: string) =>
    app.get(TaskSweepService).sweep({ locationId: LOCATION }, jobId, await connection());
  const syncContact = (contactId: string) =>
    app
      .get(ContactSyncService)
      .sync({ locationId: LOCATION, contactId, cause: 'manual' }, { timeZone: null });
  /** Postgres refuses the commit of any write that completes a stored task. */
  const refuseCompletions = () =>
    dataSource.query(`
      CREATE FUNCTION refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'commit refused'; END $$;
      CREATE CONSTRAINT TRIGGER refuse_completion AFTER UPDATE ON contact_tasks
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (NEW.completed AND NOT OLD.completed) EXECUTE FUNCTION refuse_completion();
    `);
  const allowCompletions = () =>
    dataSource.query(`
      DROP TRIGGER IF EXISTS refuse_completion ON contact_tasks;
      DROP FUNCTION IF EXISTS refuse_completion();
    `);
  /** The notices queued for the task once the outbox has nothing left to publish. */
  const noticesOf = async (taskId: string) => {
    await eventually(
      async () => {
        const [{ pending }] = await dataSource.query(
          'SELECT count(*)::int AS pending FROM outbox_events WHERE published_at IS NULL',
        );

        return pending === 0 ? true : undefined;
      },
      10_000,
      'the outbox published',
    );
    const jobs = await notifications.getJobs(['waiting', 'prioritized', 'delayed', 'completed']);

    return jobs
      .filter((job) => job.name === JobName.TaskCompleted && job.data.taskId === taskId)
      .map((job) => job.data);
  };
  const openTask = async (skip: number) => {
    const ghl = await exportSandbox();

    return ghl.tasks.filter((task) => !task.completed && !task.deleted)[skip];
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    sandbox = await startSandbox({ [LOCATION]: 30 });
    const token = sandboxAccessToken(sandbox.url, LOCATION, FULL_SCOPES);
    tokens = await startTokenEndpoint({ serviceToken: SERVICE_TOKEN, token: () => token });
    await dataSource.getRepository(Connection).save({
      locationId: LOCATION,
      status: ConnectionStatus.Active,
      scopes: FULL_SCOPES.split(' '),
    });
    notifications = new Queue(QueueName.Notifications, {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
    });
    const config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      GHL_API_BASE_URL: sandbox.url,
      AUTH_SERVICE_URL: tokens.url,
      SERVICE_TOKEN,
      OUTBOX_POLL_MS: '100',
      TASK_SWEEP_CRON: '0 0 1 1 *',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
    // Every task stored open, as a sweep before the completions would leave them.
    await sweep('first-sweep');
  }, 60_000);

  afterEach(allowCompletions);

  afterAll(async () => {
    await app?.close();
    await notifications?.obliterate({ force: true }).catch(() => undefined);
    await notifications?.close();
    await tokens?.close();
    await sandbox?.process.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('queues one notice when the sweep that saw the completion is retried', async () => {
    const task = await openTask(0);
    await complete(task);
    await refuseCompletions();
    await expect(sweep('sweep-rolled-back')).rejects.toThrow(/commit refused/);
    await allowCompletions();

    await sweep('sweep-retried');

    const stored = await dataSource
      .getRepository(Task)
      .findOneByOrFail({ locationId: LOCATION, id: task.id });
    expect(await noticesOf(task.id)).toEqual([
      {
        locationId: LOCATION,
        contactId: task.contactId,
        taskId: task.id,
        completedAt: (stored.completedAt as Date).toISOString(),
      },
    ]);
  });

  it('queues one notice when the contact sync that saw the completion is retried', async () => {
    const task = await openTask(0);
    await complete(task);
    await refuseCompletions();
    await expect(syncContact(task.contactId as string)).rejects.toThrow(/commit refused/);
    await allowCompletions();

    await syncContact(task.contactId as string);

    const stored = await dataSource
      .getRepository(Task)
      .findOneByOrFail({ locationId: LOCATION, id: task.id });
    expect(await noticesOf(task.id)).toEqual([
      {
        locationId: LOCATION,
        contactId: task.contactId,
        taskId: task.id,
        completedAt: (stored.completedAt as Date).toISOString(),
      },
    ]);
  });
});
