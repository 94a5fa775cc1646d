import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { startService, listeningPort } from '@sm/platform';
import { QueueName, redisOptionsFromUrl } from '@sm/queues';
import { TEST_REDIS_URL, TestDatabase, createTestDatabase, uniqueQueuePrefix } from '@sm/testing';

import { AppModule, ingressServiceSettings } from '../../src/app.module';
import {
  WebhookIngressConfig,
  webhookIngressConfigSchema,
} from '../../src/config/webhook-ingress.config';
import { SigningKey, TestKeys, signatureHeader } from './signing-keys';

export interface InboxRow {
  id: string;
  dedupe_key: string;
  webhook_id: string | null;
  event_type: string;
  location_id: string | null;
  payload: Record<string, unknown>;
  signature_scheme: string;
  status: string;
  error: string | null;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * The ingress booted in-process the way main.ts boots it, against a scratch database, a queue
 * prefix of its own and key pairs generated for the run.
 */
export class IngressHarness {
  readonly keys = new TestKeys();
  readonly ed25519: SigningKey = this.keys.generate('ed25519');
  readonly rsa: SigningKey = this.keys.generate('rsa');
  /** Configured too: a key being rotated in. */
  readonly nextEd25519: SigningKey = this.keys.generate('ed25519');
  /** Not configured: what a forger would sign with. */
  readonly stranger: SigningKey = this.keys.generate('ed25519');
  readonly strangerRsa: SigningKey = this.keys.generate('rsa');

  app!: INestApplication;
  config!: WebhookIngressConfig;
  database!: TestDatabase;
  db!: DataSource;
  url!: string;
  private queues = new Map<string, Queue>();

  /**
   * Boots the ingress; `reachPostgres` turns the scratch database's URL into the one the ingress
   * uses (through a relay that can cut it off). The harness' own connection stays direct.
   */
  async start(
    env: Record<string, string> = {},
    reachPostgres: (databaseUrl: string) => string = (databaseUrl) => databaseUrl,
  ): Promise<this> {
    this.database = await createTestDatabase();
    this.config = loadConfig(webhookIngressConfigSchema, {
      DATABASE_URL: reachPostgres(this.database.url),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniqueQueuePrefix('ingress'),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      WEBHOOK_ED25519_PUBLIC_KEY_FILES: [this.ed25519, this.nextEd25519]
        .map((key) => key.publicKeyFile)
        .join(','),
      WEBHOOK_RSA_PUBLIC_KEY_FILES: this.rsa.publicKeyFile,
      ...env,
    });
    this.app = await startService(
      AppModule.forRoot(this.config),
      ingressServiceSettings(this.config),
    );
    this.url = `http://127.0.0.1:${listeningPort(this.app)}/webhooks/ghl`;
    this.db = await new DataSource({ type: 'postgres', url: this.database.url }).initialize();

    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    await this.app?.close();
    await this.db?.destroy();
    await this.database?.drop();
    this.keys.remove();
  }

  post(body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
    return fetch(this.url, { method: 'POST', body, headers }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      headers: response.headers,
    }));
  }

  /** A delivery as GHL sends it: JSON, signed over these exact bytes. */
  postSigned(body: string, key: SigningKey = this.ed25519): Promise<Answer> {
    return this.post(body, { 'content-type': 'application/json', ...signatureHeader(key, body) });
  }

  async inboxRows(): Promise<InboxRow[]> {
    return this.db.query('SELECT * FROM webhook_inbox ORDER BY received_at');
  }

  async inboxCount(): Promise<number> {
    const [{ count }] = await this.db.query('SELECT count(*)::int AS count FROM webhook_inbox');

    return count;
  }

  async rowsWithWebhookId(webhookId: string): Promise<InboxRow[]> {
    return this.db.query('SELECT * FROM webhook_inbox WHERE webhook_id = $1', [webhookId]);
  }

  /** The harness' own connection, after a test cut every connection to the database. */
  async reconnectProbe(): Promise<void> {
    await this.db.destroy();
    this.db = await new DataSource({ type: 'postgres', url: this.database.url }).initialize();
  }

  async row(id: string): Promise<InboxRow | undefined> {
    const rows: InboxRow[] = await this.db.query('SELECT * FROM webhook_inbox WHERE id = $1', [id]);

    return rows[0];
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: redisOptionsFromUrl(this.config.REDIS_URL) as ConnectionOptions,
        prefix: this.config.QUEUE_PREFIX,
      });
      this.queues.set(name, queue);
    }

    return queue;
  }

  /** The job for an inbox row, whichever of the two ingress queues holds it. */
  async jobFor(inboxId: string): Promise<{ queue: string; job: Job } | undefined> {
    for (const name of [QueueName.WebhookEvents, QueueName.ConnectionEvents]) {
      const job = await this.queue(name).getJob(inboxId);
      if (job) return { queue: name, job };
    }

    return undefined;
  }

  async jobCount(): Promise<number> {
    const counts = await Promise.all(
      [QueueName.WebhookEvents, QueueName.ConnectionEvents].map((name) => this.queue(name).count()),
    );

    return counts.reduce((sum, count) => sum + count, 0);
  }
}
