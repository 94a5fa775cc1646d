import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus, dataSourceOptions, SyncRun } from '@sm/entities';
import {
  DEFAULT_JOB_OPTIONS,
  JobName,
  QueueName,
  redisOptionsFromUrl,
  SyncLocationJob,
} from '@sm/queues';
import {
  createSyncCompletedConsumer,
  SYNC_COMPLETED,
  SyncCompletedConsumer,
  SyncCompletedEvent,
} from '@sm/sync-events';
import {
  createTestDatabase,
  deleteQueueKeys,
  eventually,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import { expectRecordsEqualSandbox, SandboxExport } from '../support/ghl-records';
import {
  Listening,
  sandboxAccessToken,
  startSandbox,
  startTokenEndpoint,
} from '../sandbox-harness';

export const SERVICE_TOKEN = 'crash-service-token-0123456789abcdef';
export const CONSUMERS = ['alpha', 'beta'];
export const FULL_SCOPES =
  'contacts.readonly locations.readonly locations/tasks.readonly locations/customFields.readonly';

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
  database!: TestDatabase;
  dataSource!: DataSource;
  sandbox!: { url: string; process: ServiceProcess };
  worker: ServiceProcess | undefined;
  workerUrl = '';
  readonly prefix = uniqueQueuePrefix('crash');
  readonly received = new Map<string, Map<string, SyncCompletedEvent>>();
  private tokens!: Listening;
  private consumers: SyncCompletedConsumer[] = [];
  private queue: Queue | undefined;
  private workerPort = 0;

  constructor(readonly setup: CrashSetup) {}

  get redisUrl(): string {
    return this.setup.redisUrl ?? TEST_REDIS_URL;
  }

  async start(): Promise<this> {
    this.database = this.setup.database ?? (await createTestDatabase());
    this.dataSource = await new DataSource({
      ...dataSourceOptions(this.database.url),
      extra: { connectionTimeoutMillis: 2_000 },
    }).initialize();
    this.sandbox = await startSandbox({ [this.setup.locationId]: this.setup.contacts });
    const token = sandboxAccessToken(this.sandbox.url, this.setup.locationId, FULL_SCOPES);
    this.tokens = await startTokenEndpoint({ serviceToken: SERVICE_TOKEN, token: () => token });
    await this.dataSource.getRepository(Connection).save({
      locationId: this.setup.locationId,
      status: ConnectionStatus.Active,
      scopes: FULL_SCOPES.split(' '),
    });
    this.startConsumers();

    return this;
  }

  startConsumers(): void {
    for (const consumer of CONSUMERS) {
      const seen = this.received.get(consumer) ?? new Map<string, SyncCompletedEvent>();
      this.received.set(consumer, seen);
      this.consumers.push(
        createSyncCompletedConsumer({
          consumer,
          redisUrl: this.redisUrl,
          prefix: this.prefix,
          handle: async (event) => {
            seen.set(event.eventId, event);
          },
        }),
      );
    }
  }

  async startWorker(env: Record<string, string> = {}): Promise<ServiceProcess> {
    this.workerPort ||= await freePort();
    this.workerUrl = `http://127.0.0.1:${this.workerPort}`;
    this.worker = await startServiceProcess({
      entry: 'apps/sync-worker/src/main.ts',
      env: {
        DATABASE_URL: this.database.url,
        REDIS_URL: this.redisUrl,
        QUEUE_PREFIX: this.prefix,
        HOST: '127.0.0.1',
        PORT: String(this.workerPort),
        LOG_LEVEL: 'warn',
        GHL_API_BASE_URL: this.sandbox.url,
        AUTH_SERVICE_URL: this.tokens.url,
        SERVICE_TOKEN,
        SYNC_COMPLETED_CONSUMERS: CONSUMERS.join(','),
        CONTACT_SYNC_COALESCE_MS: '200',
        OUTBOX_POLL_MS: '200',
        CHILD_FETCH_CONCURRENCY: '16',
        WORKER_LOCK_MS: '4000',
        WORKER_STALLED_CHECK_MS: '2000',
        GHL_BURST_LIMIT: '1000000',
        ...env,
      },
      readyUrl: `http://127.0.0.1:${this.workerPort}/health/live`,
      timeoutMs: 60_000,
    });

    return this.worker;
  }

  async faults(knobs: Record<string, unknown> | null): Promise<void> {
    await fetch(`${this.sandbox.url}/_sandbox/faults`, {
      method: knobs ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: knobs ? JSON.stringify(knobs) : undefined,
    });
  }

  /** The location-sync queue of this harness' prefix (closed by `stop`). */
  locationSyncQueue(): Queue {
    this.queue ??= new Queue(QueueName.LocationSync, {
      connection: redisOptionsFromUrl(this.redisUrl) as ConnectionOptions,
      prefix: this.prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });

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

  async waitForSucceededRun(timeoutMs = 45_000): Promise<SyncRun> {
    return eventually(
      async () =>
        (await this.dataSource
          .getRepository(SyncRun)
          .findOneBy({ scope: 'location', status: 'succeeded' })
          .catch(() => null)) ?? undefined,
      timeoutMs,
      'a succeeded location sync',
    );
  }

  async exportSandbox(): Promise<SandboxExport> {
    const response = await fetch(`${this.sandbox.url}/_sandbox/export/${this.setup.locationId}`);

    return response.json() as Promise<SandboxExport>;
  }

  expectRecordsEqualSandbox(ghl: SandboxExport): Promise<void> {
    return expectRecordsEqualSandbox(this.dataSource, this.setup.locationId, ghl);
  }

  /** Waits until Postgres equals the sandbox (work may still be queued), then asserts it. */
  async eventuallyEqualSandbox(timeoutMs: number): Promise<void> {
    const ghl = await this.exportSandbox();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.expectRecordsEqualSandbox(ghl);

        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
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
    await this.queue?.close();
    await this.tokens?.close();
    await this.sandbox?.process.stop();
    await this.dataSource?.destroy().catch(() => undefined);
    if (!this.setup.database) await this.database?.drop();
    await deleteQueueKeys(this.redisUrl, this.prefix);
  }
}
