import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { createDataSource } from '@sm/entities';
import { QueueName, redisOptionsFromUrl } from '@sm/queues';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import {
  authEnv,
  installThroughConsent,
  newKey,
  RunningAuthService,
  startAuthService,
} from './auth-test-kit';
import { GhlSandbox } from './ghl-sandbox';

/**
 * What an auth-service spec runs against: a scratch database, the GHL sandbox, one queue prefix,
 * the auth-service replicas booted in this process on them, and the queues the spec opened to
 * watch. `stop()` takes it all down, the replicas first.
 */
export class AuthStack {
  readonly replicas: RunningAuthService[] = [];
  private readonly queues: Queue[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly db: DataSource,
    readonly ghl: GhlSandbox,
    readonly queuePrefix: string,
  ) {}

  /** `locations`: the locations the sandbox knows; `queueName`: the label of the queue prefix. */
  static async start(options: { locations: string[]; queueName: string }): Promise<AuthStack> {
    const database = await createTestDatabase();
    const db = await createDataSource(database.url).initialize();
    const ghl = await GhlSandbox.start(options.locations);

    return new AuthStack(database, db, ghl, uniqueQueuePrefix(options.queueName));
  }

  /** The environment of a replica with the key ring `keys`. */
  env(keys: string, extra: Record<string, string> = {}): Record<string, string> {
    return authEnv({
      databaseUrl: this.database.url,
      queuePrefix: this.queuePrefix,
      ghlBaseUrl: this.ghl.url,
      keys,
      extra,
    });
  }

  /** Boots one more replica with the key ring `keys`. */
  async boot(keys: string, extra: Record<string, string> = {}): Promise<RunningAuthService> {
    const replica = await startAuthService(this.env(keys, extra));
    this.replicas.push(replica);

    return replica;
  }

  /** Closes one replica before the others, as a deploy replaces a process. */
  async retire(replica: RunningAuthService): Promise<void> {
    this.replicas.splice(this.replicas.indexOf(replica), 1);
    await replica.app.close();
  }

  /** A queue of the stack's prefix, for the spec to read or feed; emptied and closed at stop. */
  queue(name: QueueName): Queue {
    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    const queue = new Queue(name, { connection, prefix: this.queuePrefix });
    this.queues.push(queue);

    return queue;
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.app.close()));
    for (const queue of this.queues) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await Promise.all([this.ghl.stop(), this.db.destroy()]);
    await this.database.drop();
  }
}

/** A stack with one location installed through the first of its replicas, all on one key. */
export interface InstalledAuth {
  database: TestDatabase;
  db: DataSource;
  ghl: GhlSandbox;
  env: Record<string, string>;
  keys: string;
  replicas: RunningAuthService[];
  stop(): Promise<void>;
}

export async function startInstalledAuth(options: {
  locationId: string;
  queueName: string;
  replicas?: number;
}): Promise<InstalledAuth> {
  const stack = await AuthStack.start({
    locations: [options.locationId],
    queueName: options.queueName,
  });
  const keys = newKey('k1');
  const count = options.replicas ?? 1;
  await Promise.all(Array.from({ length: count }, () => stack.boot(keys)));
  const installed = await installThroughConsent(stack.replicas[0].url, {
    locationId: options.locationId,
  });
  if (installed.status !== 200) throw new Error(`install answered ${installed.status}`);
  const { database, db, ghl, replicas } = stack;

  return { database, db, ghl, env: stack.env(keys), keys, replicas, stop: () => stack.stop() };
}
