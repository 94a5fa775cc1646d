import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { Connection, ConnectionStatus, dataSourceOptions, SyncRun } from '@sm/entities';
import { DEFAULT_JOB_OPTIONS, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { startService } from '@sm/platform';
import { emptyCounts, SYNC_COMPLETED, SyncCompletedEvent } from '@sm/sync-events';
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
import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';
import { LocationSyncService } from '../src/location-sync/location-sync.service';
import { RecordWriter } from '../src/records/record-writer.service';
import { FULL_SCOPES } from './crash/crash-harness';
import { Listening, sandboxAccessToken, startSandbox, startTokenEndpoint } from './sandbox-harness';
import { GhlRecord, SandboxExport } from './support/ghl-records';

/** Swept only: its tasks are written by the task sweep, 500 to a transaction. */
const SWEPT = 'SMsweepCrash00000001';
/** Synced whole: more contacts than one batch of the contact walk (500). */
const SYNCED = 'SMsyncCrash000000001';
const SERVICE_TOKEN = 'per-commit-service-token-0123456789';

/**
 * A run commits in many transactions (the task sweep 500 tasks at a time, a location sync a batch
 * of contacts, then their children). Each must announce what it wrote in its own transaction: a
 * run that dies after some commits (a kill, a GHL outage mid-walk, a failing last step) and runs
 * again finds those records unchanged, and would never announce them.
 */
describe('sync-completed of a run that dies after some of its commits', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sandbox: { url: string; process: ServiceProcess };
  let tokens: Listening;
  let app: INestApplication;
  let queue: Queue;
  const prefix = uniqueQueuePrefix('per-commit');

  const faults = (body: Record<string, unknown> | null) =>
    fetch(`${sandbox.url}/_sandbox/faults`, {
      method: body ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
  const exportSandbox = async (locationId: string): Promise<SandboxExport> =>
    (await fetch(`${sandbox.url}/_sandbox/export/${locationId}`)).json() as Promise<SandboxExport>;
  const change = async (locationId: string, body: Record<string, unknown>) => {
    const response = await fetch(`${sandbox.url}/_sandbox/locations/${locationId}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
  };
  /** The contact-scoped sync-completed events in the outbox, committed or published. */
  const contactEvents = async (locationId: string): Promise<SyncCompletedEvent[]> => {
    const rows: { payload: SyncCompletedEvent }[] = await dataSource.query(
      `SELECT payload FROM outbox_events
       WHERE location_id = $1 AND event_type = $2 AND payload->>'scope' = 'contact'
       ORDER BY id`,
      [locationId, SYNC_COMPLETED],
    );

    return rows.map((row) => row.payload);
  };
  const announced = async (locationId: string) =>
    new Set((await contactEvents(locationId)).map((event) => event.contactId as string));
  /** Every contact Postgres holds a record of: its own row, or a task, note or appointment. */
  const recorded = async (locationId: string): Promise<string[]> => {
    const rows: { id: string }[] = await dataSource.query(
      `SELECT id FROM contacts WHERE location_id = $1
       UNION SELECT contact_id FROM contact_tasks WHERE location_id = $1
       UNION SELECT contact_id FROM contact_notes WHERE location_id = $1
       UNION SELECT contact_id FROM contact_appointments WHERE location_id = $1`,
      [locationId],
    );

    return rows.map((row) => row.id);
  };
  const syncLocation = async (locationId: string, trigger: 'install' | 'nightly', jobId: string) =>
    app
      .get(LocationSyncService)
      .sync(
        { locationId, trigger },
        jobId,
        await dataSource.getRepository(Connection).findOneByOrFail({ locationId }),
      );

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    sandbox = await startSandbox({ [SWEPT]: 500, [SYNCED]: 700 });
    const tokenOf = new Map(
      [SWEPT, SYNCED].map((locationId) => [
        locationId,
        sandboxAccessToken(sandbox.url, locationId, FULL_SCOPES),
      ]),
    );
    tokens = await startTokenEndpoint({
      serviceToken: SERVICE_TOKEN,
      token: (locationId) => tokenOf.get(locationId) as Promise<string>,
    });
    await dataSource.getRepository(Connection).save(
      [SWEPT, SYNCED].map((locationId) => ({
        locationId,
        status: ConnectionStatus.Active,
        scopes: FULL_SCOPES.split(' '),
      })),
    );
    queue = new Queue(QueueName.LocationSync, {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
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
      CHILD_FETCH_CONCURRENCY: '16',
      GHL_BURST_LIMIT: '1000000',
      // The specs start every run themselves.
      TASK_SWEEP_CRON: '0 0 1 1 *',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterEach(() => faults(null));

  afterAll(async () => {
    await app?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await tokens?.close();
    await sandbox?.process.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('announces every contact whose tasks the task sweep wrote, across its retry', async () => {
    const ghl = await exportSandbox(SWEPT);
    expect(ghl.tasks.length).toBeGreaterThan(700);
    await faults({ latencyMs: 1000 });
    // As its schedule adds it, with the queue's attempts and backoff.
    const added = await app.get(JobEnqueuer).sweepTasks({ locationId: SWEPT });
    await eventually(
      async () => ((await recorded(SWEPT)).length > 0 ? true : undefined),
      60_000,
      'the first 500 tasks committed',
    );

    // GHL fails every call from here on: the attempt dies half-way.
    await faults({ errorRate: 1 });
    await eventually(
      async () => ((await queue.getJob(added.id as string))?.attemptsMade ? true : undefined),
      60_000,
      'the failed attempt',
    );
    await faults(null);
    await eventually(
      async () =>
        (await dataSource.getRepository(SyncRun).findOneBy({ locationId: SWEPT })) ?? undefined,
      60_000,
      'the retried sweep',
    );

    const withTasks = new Set(ghl.tasks.map((task) => task.contactId as string));
    const heard = await announced(SWEPT);
    expect([...withTasks].filter((contactId) => !heard.has(contactId))).toEqual([]);
  }, 200_000);

  describe('a location sync', () => {
    // As Postgres refusing the run's last transaction would: the batches before it committed.
    const refuseSuccess = () =>
      dataSource.query(`
        CREATE FUNCTION refuse_success() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the run cannot be closed'; END $$;
        CREATE TRIGGER refuse_success BEFORE UPDATE ON sync_runs FOR EACH ROW
        WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION refuse_success();
      `);
    const allowSuccess = () =>
      dataSource.query(`
        DROP TRIGGER IF EXISTS refuse_success ON sync_runs;
        DROP FUNCTION IF EXISTS refuse_success();
      `);
    const runOf = (jobId: string) => dataSource.getRepository(SyncRun).findOneByOrFail({ jobId });
    /** The run's contact events, once the relay has released what the run held. */
    const releasedEventsOf = async (jobId: string) => {
      const run = await runOf(jobId);
      await eventually(
        async () => {
          const [{ held }] = await dataSource.query(
            `SELECT count(*)::int AS held FROM outbox_events
             WHERE event_type = 'sync-completed.held' AND payload->>'syncRunId' = $1`,
            [run.id],
          );

          return held === 0 ? true : undefined;
        },
        10_000,
        'the held events released',
      );

      return (await contactEvents(SYNCED)).filter((event) => event.syncRunId === run.id);
    };

    afterEach(allowSuccess);

    it('announces every contact a first sync recorded before its last step failed', async () => {
      await refuseSuccess();

      await expect(syncLocation(SYNCED, 'install', 'first-sync-fails')).rejects.toThrow(/closed/);

      expect((await runOf('first-sync-fails')).status).toBe('failed');
      const events = await releasedEventsOf('first-sync-fails');
      const heard = new Set(events.map((event) => event.contactId as string));
      const stored = await recorded(SYNCED);
      expect(stored.length).toBeGreaterThan(500);
      expect(stored.filter((contactId) => !heard.has(contactId))).toEqual([]);
    }, 120_000);

    it('announces a first sync that succeeds with its location event alone', async () => {
      await syncLocation(SYNCED, 'install', 'first-sync-completes');

      const run = await runOf('first-sync-completes');
      const rows: { event_type: string; scope: string }[] = await dataSource.query(
        `SELECT event_type, payload->>'scope' AS scope FROM outbox_events
         WHERE payload->>'syncRunId' = $1`,
        [run.id],
      );
      expect(rows).toEqual([{ event_type: SYNC_COMPLETED, scope: 'location' }]);
    }, 120_000);

    it('announces the contact a nightly run changed, and its children, when it fails', async () => {
      const ghl = await exportSandbox(SYNCED);
      const target = ghl.contacts.find((contact) =>
        ghl.notes.some((note) => note.contactId === contact.id),
      ) as GhlRecord;
      await change(SYNCED, {
        kind: 'contact.update',
        contactId: target.id,
        fields: { city: 'Mesa' },
      });
      await change(SYNCED, { kind: 'note.update', contactId: target.id });
      await refuseSuccess();

      await expect(syncLocation(SYNCED, 'nightly', 'nightly-fails')).rejects.toThrow(/closed/);

      const ofTarget = (await releasedEventsOf('nightly-fails')).filter(
        (event) => event.contactId === target.id,
      );
      expect(ofTarget.map(({ trigger, counts }) => ({ trigger, counts }))).toEqual([
        { trigger: 'location-sync', counts: { ...emptyCounts(), contacts: 1 } },
        { trigger: 'location-sync', counts: { ...emptyCounts(), notes: 1 } },
      ]);
    }, 120_000);

    describe('killed after some of its commits', () => {
      const killedRun = async (jobId: string, startedAt = new Date()) => {
        const run = await dataSource.getRepository(SyncRun).save({
          locationId: SYNCED,
          scope: 'location',
          contactId: null,
          trigger: 'nightly',
          status: 'running',
          counts: emptyCounts(),
          ghlCalls: 0,
          errorCount: 0,
          jobId,
          startedAt,
        });
        const records = app.get(RecordWriter);
        const held = new Map([[`held-by-${jobId}`, { contacts: 1 }]]);
        await records.transaction((manager) =>
          records.holdContactEvents(manager, SYNCED, run.id, held),
        );

        return run;
      };
      const eventsOfRun = async (syncRunId: string) =>
        (await contactEvents(SYNCED))
          .filter((event) => event.syncRunId === syncRunId)
          .map(({ contactId, counts }) => ({ contactId, counts }));

      it('publishes what the killed attempt held when its job runs again', async () => {
        const killed = await killedRun('killed-then-retried');

        await syncLocation(SYNCED, 'nightly', 'killed-then-retried');

        expect(await eventsOfRun(killed.id)).toEqual([
          { contactId: 'held-by-killed-then-retried', counts: { ...emptyCounts(), contacts: 1 } },
        ]);
      }, 60_000);

      it('publishes what a run never tried again held, an hour on', async () => {
        const killed = await killedRun('killed-for-good', new Date(Date.now() - 7_200_000));
        await dataSource.query(
          `UPDATE outbox_events SET created_at = now() - interval '61 minutes'
           WHERE payload->>'syncRunId' = $1`,
          [killed.id],
        );

        const events = await eventually(
          async () => {
            const published = await eventsOfRun(killed.id);

            return published.length > 0 ? published : undefined;
          },
          10_000,
          'the stale events released',
        );

        expect(events).toEqual([
          { contactId: 'held-by-killed-for-good', counts: { ...emptyCounts(), contacts: 1 } },
        ]);
      });
    });
  });
});
