import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { Connection, ConnectionStatus, dataSourceOptions, SyncRun } from '@sm/entities';
import { DEFAULT_JOB_OPTIONS, JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
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
import { RecordWriter } from '../src/records/record-writer.service';
import { syncWorkerEnv } from '../src/config/sync-worker.config';
import { FULL_SCOPES } from './crash/crash-harness';
import { Listening, sandboxAccessToken, startSandbox, startTokenEndpoint } from './sandbox-harness';
import { expectRecordsEqualSandbox, SandboxExport } from './support/ghl-records';

const LOCATION = 'SMrevivedContact0001';
const CONTACTS = 120;
const SERVICE_TOKEN = 'revival-service-token-0123456789abcd';

describe('a contact stored as deleted that GHL lists again', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sandbox: { url: string; process: ServiceProcess };
  let tokens: Listening;
  let app: INestApplication;
  let queue: Queue;
  const prefix = uniqueQueuePrefix('revival');
  const config = (env: Record<string, string> = {}) =>
    loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      GHL_API_BASE_URL: sandbox.url,
      AUTH_SERVICE_URL: tokens.url,
      SERVICE_TOKEN,
      CHILD_FETCH_CONCURRENCY: '16',
      GHL_BURST_LIMIT: '1000000',
      ...env,
    });
  const exportSandbox = async (): Promise<SandboxExport> =>
    (await fetch(`${sandbox.url}/_sandbox/export/${LOCATION}`)).json() as Promise<SandboxExport>;
  const run = async (name: string, data: Record<string, unknown>) => {
    const job = await queue.add(name, { locationId: LOCATION, ...data });

    return eventually(
      async () =>
        (await dataSource
          .getRepository(SyncRun)
          .findOneBy({ jobId: job.id as string, status: 'succeeded' })) ?? undefined,
      45_000,
      `${name} to succeed`,
    );
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    sandbox = await startSandbox({ [LOCATION]: CONTACTS });
    const token = sandboxAccessToken(sandbox.url, LOCATION, FULL_SCOPES);
    tokens = await startTokenEndpoint({ serviceToken: SERVICE_TOKEN, token: () => token });
    await dataSource.getRepository(Connection).save({
      locationId: LOCATION,
      status: ConnectionStatus.Active,
      scopes: FULL_SCOPES.split(' '),
    });
    queue = new Queue(QueueName.LocationSync, {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    app = await startService(AppModule.forRoot(config()), { host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await queue?.close();
    await tokens?.close();
    await sandbox?.process.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  // The product's own tombstone, as a delete webhook or a walk that missed the contact leaves
  // it: the contact and its children, at a time after their versions.
  const tombstone = (contactId: string) =>
    new RecordWriter(dataSource).transaction((manager) =>
      new RecordWriter(dataSource).tombstoneContact(manager, LOCATION, contactId, new Date()),
    );
  const withChildren = (ghl: SandboxExport) =>
    ghl.contacts.find(
      (contact) =>
        ghl.tasks.some((task) => task.contactId === contact.id) &&
        ghl.notes.some((note) => note.contactId === contact.id),
    ) as SandboxExport['contacts'][number];

  it('makes a first sync', async () => {
    await run(JobName.SyncLocation, { trigger: 'install' });

    await expectRecordsEqualSandbox(dataSource, LOCATION, await exportSandbox());
  });

  it('comes back with its tasks on an on-demand full sync', async () => {
    const ghl = await exportSandbox();
    await tombstone(withChildren(ghl).id);

    await run(JobName.SyncLocation, { trigger: 'manual' });

    await expectRecordsEqualSandbox(dataSource, LOCATION, await exportSandbox());
  });

  it('comes back with its notes on a nightly sync, though GHL changed nothing', async () => {
    const ghl = await exportSandbox();
    const contact = ghl.contacts.filter((c) => ghl.notes.some((n) => n.contactId === c.id))[3];
    await tombstone(contact.id);

    await run(JobName.SyncLocation, { trigger: 'nightly' });

    const liveNotes = await dataSource.query(
      `SELECT id FROM contact_notes WHERE location_id = $1 AND contact_id = $2
       AND deleted_at IS NULL ORDER BY id`,
      [LOCATION, contact.id],
    );
    const ghlNotes = ghl.notes.filter((note) => note.contactId === contact.id);
    expect(liveNotes.map((row: { id: string }) => row.id)).toEqual(
      ghlNotes.map((note) => note.id).sort(),
    );
  });
});
