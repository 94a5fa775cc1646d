import { INestApplication } from '@nestjs/common';
import { DefaultJobOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { listeningPort, startService } from '@sm/platform';
import { QueueName } from '@sm/queues';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import { AppModule, SyncWorkerOverrides } from '../../src/app.module';
import { SyncWorkerConfig, syncWorkerEnv } from '../../src/config/sync-worker.config';
import { Listening, startInboxWriter } from '../sandbox-harness';
import { connectLocations } from './connections';
import { GhlStandIn, GhlStandInSetup, startGhlStandIn } from './ghl-stand-in';
import { SandboxControls } from './sandbox-controls';
import { createScratchDatabase, ScratchDatabase } from './scratch-database';
import { recordSyncCompleted, SyncCompletedRecorder } from './sync-completed-recorder';
import { closeQueues, openQueues } from './test-queues';
import { workerEnv } from './worker-env';

export interface SyncWorkerStackSetup {
  /** Names the stack's queue prefix in Redis. */
  name: string;
  serviceToken: string;
  /** A GHL sandbox and a token endpoint with these locations; none: GHL is unreachable. */
  ghl?: Omit<GhlStandInSetup, 'serviceToken'>;
  /** A GHL API the spec serves itself, used when there is no sandbox. */
  ghlUrl?: string;
  /** Locations stored as connected (active, with these scopes) before the worker starts. */
  connections?: { locations: string[]; scopes: string[] };
  /**
   * The spec's own handles on these queues, in `queues`, emptied and closed by `stop`; the webhook
   * queue is among them with `webhooks`.
   */
  queues?: readonly string[];
  defaultJobOptions?: DefaultJobOptions;
  /** A Redis of the spec's own (a `PrivateRedis`), its URL read when the stack starts. */
  redis?: { readonly url: string };
  /** The webhook ingress's hand-off into the inbox, as the target of the sandbox's webhooks. */
  webhooks?: boolean;
  /** A consumer of `sync-completed` registered with the worker, keeping what it gets. */
  consumer?: string;
  /** The worker's settings over the test defaults of `workerEnv`. */
  env?: Record<string, string>;
  overrides?: SyncWorkerOverrides;
}

/**
 * The sync worker in-process on a scratch database and queue prefix of its own, with what a spec
 * asks for around it: the GHL sandbox and token endpoint, connected locations, its own queue
 * handles, the webhook hand-off and a `sync-completed` consumer.
 */
export class SyncWorkerStack {
  readonly prefix: string;
  database!: ScratchDatabase;
  app!: INestApplication;
  config!: SyncWorkerConfig;
  /** The worker's HTTP origin. */
  url = '';
  queues: Record<string, Queue> = {};
  ghl: GhlStandIn | undefined;
  inbox: Listening | undefined;
  consumer: SyncCompletedRecorder | undefined;

  constructor(readonly setup: SyncWorkerStackSetup) {
    this.prefix = uniqueQueuePrefix(setup.name);
  }

  get redisUrl(): string {
    return this.setup.redis?.url ?? TEST_REDIS_URL;
  }

  get dataSource(): DataSource {
    return this.database.dataSource;
  }

  get sandbox(): SandboxControls {
    if (!this.ghl) throw new Error(`the ${this.setup.name} stack has no GHL sandbox`);

    return this.ghl.sandbox;
  }

  /** The auth service's stand-in: how often each location's token was asked for. */
  get tokens(): GhlStandIn['tokens'] {
    if (!this.ghl) throw new Error(`the ${this.setup.name} stack has no token endpoint`);

    return this.ghl.tokens;
  }

  /** The worker's config with `env` over the stack's own settings: a redeploy's. */
  configWith(env: Record<string, string> = {}): SyncWorkerConfig {
    const setup = {
      databaseUrl: this.database.url,
      queuePrefix: this.prefix,
      serviceToken: this.setup.serviceToken,
      redisUrl: this.redisUrl,
      ghlUrl: this.ghl?.sandbox.url ?? this.setup.ghlUrl,
      authUrl: this.ghl?.tokens.url,
    };

    return loadConfig(syncWorkerEnv, workerEnv(setup, { ...this.setup.env, ...env }));
  }

  /** Another worker on the same database and queues; the caller closes it. */
  startReplica(env: Record<string, string> = {}): Promise<INestApplication> {
    return startService(AppModule.forRoot(this.configWith(env), this.setup.overrides), {
      host: '127.0.0.1',
      port: 0,
    });
  }

  async start(): Promise<this> {
    this.database = await createScratchDatabase();
    if (this.setup.ghl) {
      this.ghl = await startGhlStandIn({
        ...this.setup.ghl,
        serviceToken: this.setup.serviceToken,
      });
    }
    const { connections } = this.setup;
    if (connections)
      await connectLocations(this.dataSource, connections.locations, connections.scopes);
    const webhookQueue = this.setup.webhooks ? [QueueName.WebhookEvents] : [];
    this.queues = openQueues([...new Set([...(this.setup.queues ?? []), ...webhookQueue])], {
      prefix: this.prefix,
      redisUrl: this.redisUrl,
      defaultJobOptions: this.setup.defaultJobOptions,
    });
    if (this.setup.webhooks) await this.startWebhookHandOff();
    this.config = this.configWith();
    this.app = await startService(AppModule.forRoot(this.config, this.setup.overrides), {
      host: '127.0.0.1',
      port: 0,
    });
    this.url = `http://127.0.0.1:${listeningPort(this.app)}`;
    if (this.setup.consumer) {
      this.consumer = recordSyncCompleted(this.setup.consumer, {
        prefix: this.prefix,
        redisUrl: this.redisUrl,
      });
    }

    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.close();
    await this.app?.close();
    await closeQueues(this.queues);
    await this.inbox?.close();
    await this.ghl?.stop();
    await this.database?.drop();
  }

  private async startWebhookHandOff(): Promise<void> {
    this.inbox = await startInboxWriter(this.dataSource, this.queues[QueueName.WebhookEvents]);
    await this.sandbox.webhookTarget(`${this.inbox.url}/webhooks/ghl`);
  }
}

/** Registers the spec file's beforeAll (starting the stack) and afterAll (stopping it). */
export function useSyncWorkerStack(setup: SyncWorkerStackSetup, timeoutMs = 60_000) {
  const stack = new SyncWorkerStack(setup);

  beforeAll(() => stack.start(), timeoutMs);
  afterAll(() => stack.stop(), 30_000);

  return stack;
}
