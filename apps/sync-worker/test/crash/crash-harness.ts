import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { DEFAULT_JOB_OPTIONS, JobName, QueueName, SyncLocationJob } from '@sm/queues';
import { SYNC_COMPLETED, SyncCompletedEvent } from '@sm/sync-events';
import {
  deleteQueueKeys,
  eventually,
  freePort,
  PrivateRedis,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import { FULL_SCOPES, GhlStandIn, startGhlStandIn } from '../support/ghl-stand-in';
import {
  eventuallyRecordsEqualSandbox,
  expectRecordsEqualSandbox,
  SandboxExport,
} from '../support/ghl-records';
import { connectLocations } from '../support/connections';
import { SandboxControls, SandboxFaults } from '../support/sandbox-controls';
import { createScratchDatabase, ScratchDatabase } from '../support/scratch-database';
import { recordSyncCompleted, SyncCompletedRecorder } from '../support/sync-completed-recorder';
import { eventuallySucceededRun } from '../support/sync-runs';
import { openQueues } from '../support/test-queues';
import { workerEnv } from '../support/worker-env';

export { FULL_SCOPES };
export const SERVICE_TOKEN = 'crash-service-token-0123456789abcdef';
export const CONSUMERS = ['alpha', 'beta'];

export interface CrashSetup {
  locationId: string;
  contacts: number;
  /** Another Redis than the shared one (a private redis-server the test may flush). */
  redisUrl?: string;
  /** Another Postgres than the shared one: `{ url, drop }` of a database made by the test. */
  database?: TestDatabase;
}

/**
 * What every crash test needs: the sandbox (a process), a token endpoint, a scratch database,
 * the sync worker as a real child process (so that it can be killed), and two consumers of
 * `sync-completed` recording every event they get.
 */
export class CrashHarness {
  database!: ScratchDatabase;
  sandbox!: SandboxControls;
  worker: ServiceProcess | undefined;
  workerUrl = '';
  readonly prefix = uniqueQueuePrefix('crash');
  readonly received = new Map<string, Map<string, SyncCompletedEvent>>();
  private ghl!: GhlStandIn;
  private consumers: SyncCompletedRecorder[] = [];
  private queue: Queue | undefined;
  private workerPort = 0;

  constructor(readonly setup: CrashSetup) {}

  get redisUrl(): string {
    return this.setup.redisUrl ?? TEST_REDIS_URL;
  }

  get dataSource(): DataSource {
    return this.database.dataSource;
  }

  async start(): Promise<this> {
    this.database = await createScratchDatabase({
      database: this.setup.database,
      extra: { connectionTimeoutMillis: 2_000 },
    });
    this.ghl = await startGhlStandIn({
      locations: { [this.setup.locationId]: this.setup.contacts },
      serviceToken: SERVICE_TOKEN,
      scopes: FULL_SCOPES,
    });
    this.sandbox = this.ghl.sandbox;
    await connectLocations(this.dataSource, [this.setup.locationId], FULL_SCOPES.split(' '));
    this.startConsumers();

    return this;
  }

  startConsumers(): void {
    for (const consumer of CONSUMERS) {
      const byId = this.received.get(consumer) ?? new Map<string, SyncCompletedEvent>();
      this.received.set(consumer, byId);
      this.consumers.push(
        recordSyncCompleted(consumer, { prefix: this.prefix, redisUrl: this.redisUrl, byId }),
      );
    }
  }

  /** Closes the consumers: what is published meanwhile waits in their queues. */
  async stopConsumers(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.close()));
    this.consumers = [];
  }

  async startWorker(env: Record<string, string> = {}): Promise<ServiceProcess> {
    this.workerPort ||= await freePort();
    this.workerUrl = `http://127.0.0.1:${this.workerPort}`;
    const setup = {
      databaseUrl: this.database.url,
      queuePrefix: this.prefix,
      serviceToken: SERVICE_TOKEN,
      redisUrl: this.redisUrl,
      ghlUrl: this.sandbox.url,
      authUrl: this.ghl.tokens.url,
      port: this.workerPort,
    };
    this.worker = await startServiceProcess({
      entry: 'apps/sync-worker/src/main.ts',
      env: workerEnv(setup, {
        LOG_LEVEL: 'warn',
        SYNC_COMPLETED_CONSUMERS: CONSUMERS.join(','),
        CONTACT_SYNC_COALESCE_MS: '200',
        OUTBOX_POLL_MS: '200',
        CHILD_FETCH_CONCURRENCY: '16',
        WORKER_LOCK_MS: '4000',
        WORKER_STALLED_CHECK_MS: '2000',
        GHL_BURST_LIMIT: '1000000',
        ...env,
      }),
      readyUrl: `${this.workerUrl}/health/live`,
      timeoutMs: 60_000,
    });

    return this.worker;
  }

  faults(faults: SandboxFaults | null): Promise<void> {
    return this.sandbox.faults(faults);
  }

  /** The location-sync queue of this harness' prefix (closed by `stop`). */
  locationSyncQueue(): Queue {
    this.queue ??= openQueues([QueueName.LocationSync], {
      prefix: this.prefix,
      redisUrl: this.redisUrl,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    })[QueueName.LocationSync];

    return this.queue;
  }

  async startFullSync(trigger: SyncLocationJob['trigger'] = 'install'): Promise<void> {
    const queue = this.locationSyncQueue();
    await queue.add(JobName.SyncLocation, { locationId: this.setup.locationId, trigger });
  }

  /** Contacts stored so far: how far a running sync got. */
  async storedContacts(): Promise<number> {
    const [{ count }] = await this.dataSource.query(
      'SELECT count(*)::int AS count FROM contacts WHERE location_id = $1',
      [this.setup.locationId],
    );

    return count;
  }

  async waitForStoredContacts(atLeast: number, timeoutMs = 30_000): Promise<number> {
    return eventually(
      async () => {
        const count = await this.storedContacts();

        return count >= atLeast ? count : undefined;
      },
      timeoutMs,
      `${atLeast} stored contacts`,
    );
  }

  waitForSucceededRun(timeoutMs = 45_000) {
    return eventuallySucceededRun(
      this.dataSource,
      { scope: 'location' },
      timeoutMs,
      'a succeeded location sync',
      { tolerateQueryErrors: true },
    );
  }

  exportSandbox(): Promise<SandboxExport> {
    return this.sandbox.export(this.setup.locationId);
  }

  expectRecordsEqualSandbox(ghl: SandboxExport): Promise<void> {
    return expectRecordsEqualSandbox(this.dataSource, this.setup.locationId, ghl);
  }

  /** Waits until Postgres equals the sandbox (work may still be queued), then asserts it. */
  async eventuallyEqualSandbox(timeoutMs: number): Promise<void> {
    const ghl = await this.exportSandbox();

    await eventuallyRecordsEqualSandbox(this.dataSource, this.setup.locationId, ghl, timeoutMs);
  }
  /** Every sync-completed event was published, and every consumer got every one of them. */
  async expectEveryConsumerHasEveryEvent(timeoutMs = 20_000): Promise<number> {
    const missing = async () => {
      // The outbox also holds task-completed notices and a location run's held contact events.
      const rows: { event_id: string }[] = await this.dataSource.query(
        `SELECT payload->>'eventId' AS event_id FROM outbox_events WHERE event_type = $1`,
        [SYNC_COMPLETED],
      );
      const ids = rows.map((row) => row.event_id);
      const gaps = CONSUMERS.flatMap((consumer) =>
        ids.filter((id) => !this.received.get(consumer)?.has(id)).map((id) => `${consumer}:${id}`),
      );

      return { ids, gaps };
    };
    await eventually(
      async () => ((await missing()).gaps.length === 0 ? true : undefined),
      timeoutMs,
      'every consumer to have every event',
    ).catch(() => undefined);
    const { ids, gaps } = await missing();

    expect(ids.length).toBeGreaterThan(0);
    expect(gaps).toEqual([]);

    return ids.length;
  }

  async stop(): Promise<void> {
    const child = this.worker?.child;
    // ServiceProcess.stop waits for an exit that already happened when a signal ended it.
    if (child && child.exitCode === null && child.signalCode === null) {
      await this.worker?.stop('SIGKILL');
    }
    await Promise.allSettled(this.consumers.map((consumer) => consumer.close()));
    // Its keys go with the prefix's below.
    await this.queue?.close();
    await this.ghl?.stop();
    await this.database?.drop();
    await deleteQueueKeys(this.redisUrl, this.prefix);
  }
}

/**
 * A crash test file's harness on a redis-server of its own, which its tests may flush or stop:
 * both started before the file's tests (the worker too, unless `startWorker` is false) and
 * stopped after them.
 */
export function useHarnessOnPrivateRedis(
  setup: Omit<CrashSetup, 'redisUrl'>,
  { startWorker = true }: { startWorker?: boolean } = {},
): { redis: PrivateRedis; harness: CrashHarness } {
  const redis = new PrivateRedis();
  // Its port is known once it has started, before the harness first reads it.
  const harness = new CrashHarness({
    ...setup,
    get redisUrl() {
      return redis.url;
    },
  });

  beforeAll(async () => {
    await redis.start();
    await harness.start();
    if (startWorker) await harness.startWorker();
  }, 90_000);

  afterAll(async () => {
    await harness.stop();
    await redis.stop();
  }, 30_000);

  return { redis, harness };
}
