import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { Redis } from 'ioredis';
import { Client } from 'pg';

import { DemoRefusedError } from './demo-refused.error';
import { StackPorts } from './stack';

/** What a demo owns while it runs: the database it resets, the queue prefix it clears. */
export interface DemoIdentity {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  ports: StackPorts;
}

export interface DemoLock {
  /** Lets the next demo take the database and the prefix. Idempotent. */
  release(): Promise<void>;
}

/** Two-key advisory locks under this first key ('SMDE') meet no other tool's. */
const ADVISORY_NAMESPACE = 0x534d4445;
/** Beside the prefix's BullMQ keys; clearing the queues leaves it alone. */
export const QUEUE_LOCK_KEY = 'demo-lock';
const CONNECTION_NAME = 'sm-demo-lock-';

/**
 * Takes the demo's database and queue prefix for this process, before anything is reset, or
 * refuses naming the demo that holds them. Both holds die with the process, however it ends: the
 * database's is a Postgres session advisory lock, on a connection of its own to the server's
 * `postgres` database; the prefix's is a Redis key that names a connection of this process, and a
 * key whose connection is gone (its demo was killed) is taken over.
 */
export async function lockDemo(
  identity: DemoIdentity,
  onLost: (what: string) => void = () => undefined,
): Promise<DemoLock> {
  const database = await lockDatabase(identity, onLost);
  const queues = await lockQueues(identity, onLost).catch(async (error: unknown) => {
    await database.release();
    throw error;
  });
  const refusals = [database.refusal, queues.refusal].filter(Boolean);
  const release = async () => {
    await Promise.all([database.release(), queues.release()]);
  };
  if (refusals.length === 0) return { release };

  await release();
  throw new DemoRefusedError(
    `another demo is using ${refusals.join(', and ')}; nothing was reset. ` +
      `Stop that demo (Ctrl-C where it runs), or run this one beside it with a database, ` +
      `queue prefix and ports of its own, e.g. ${anotherDemoCommand(identity)}`,
  );
}

interface Hold {
  /** Set when another demo holds it: what is in use, and by whom. */
  refusal?: string;
  release(): Promise<void>;
}

async function lockDatabase(identity: DemoIdentity, onLost: (what: string) => void) {
  const name = demoDatabaseName(identity.databaseUrl);
  const client = new Client({
    connectionString: maintenanceUrl(identity.databaseUrl),
    // What a refused demo shows of this one (Postgres keeps 63 bytes of it).
    application_name: `sm-demo pid ${process.pid} sync :${identity.ports.sync}`,
    keepAlive: true,
  });
  let released = false;
  client.on('error', (error) => {
    if (!released) onLost(`database ${name} (${error.message})`);
  });
  await client.connect();
  const key = [ADVISORY_NAMESPACE, hash31(`database ${name}`)];
  const { rows } = await client.query<{ held: boolean }>(
    'SELECT pg_try_advisory_lock($1, $2) AS held',
    key,
  );
  const release = async () => {
    if (released) return;
    released = true;
    await client.end().catch(() => undefined);
  };
  if (rows[0].held) return { release } satisfies Hold;

  const holders = await client.query<{ application_name: string; backend_start: Date }>(
    `SELECT a.application_name, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    key,
  );
  await release();
  const holder = holders.rows[0];
  const by = holder
    ? ` (held by "${holder.application_name}" since ${holder.backend_start.toISOString()})`
    : '';

  return { refusal: `database ${name}${by}`, release } satisfies Hold;
}

interface QueueHolder {
  token?: string;
  pid?: number;
  host?: string;
  syncPort?: number;
  since?: string;
}

/** Sets the key only while it still holds what was read: of two takers, one wins. */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1]) end return 0`;

async function lockQueues(identity: DemoIdentity, onLost: (what: string) => void) {
  const token = randomBytes(8).toString('hex');
  const what = `queue prefix ${identity.queuePrefix}`;
  const key = `${identity.queuePrefix}:${QUEUE_LOCK_KEY}`;
  const value = JSON.stringify({
    token,
    pid: process.pid,
    host: hostname(),
    syncPort: identity.ports.sync,
    since: new Date().toISOString(),
  } satisfies QueueHolder);
  // The name is set again on every reconnect, so the key stays claimed by a live connection.
  const redis = new Redis(identity.redisUrl, {
    connectionName: `${CONNECTION_NAME}${token}`,
    maxRetriesPerRequest: 3,
  });
  redis.on('error', () => undefined); // ioredis reconnects; 'ready' below checks the hold
  let held = false;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    if (held) await redis.eval(RELEASE, 1, key, value).catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
  };
  try {
    held = await takeQueueKey(redis, key, value);
  } catch (error) {
    await release();
    throw error;
  }
  if (!held) {
    const holder = parseHolder((await redis.get(key)) ?? '');
    await release();

    return { refusal: `${what} (held by ${describeQueueHolder(holder)})`, release } satisfies Hold;
  }
  redis.on('ready', () => {
    void redis.get(key).then((current) => {
      if (!released && current !== value) onLost(`${what} (taken while Redis was away)`);
    });
  });

  return { release } satisfies Hold;
}

async function takeQueueKey(redis: Redis, key: string, value: string): Promise<boolean> {
  // Another taker may change the key between our reads; a few rounds settle it.
  for (let round = 0; round < 5; round += 1) {
    if ((await redis.set(key, value, 'NX')) === 'OK') return true;
    const current = await redis.get(key);
    if (current === null) continue;
    const holder = parseHolder(current);
    if (holder.token && (await connectionOpen(redis, `${CONNECTION_NAME}${holder.token}`))) {
      return false;
    }
    // Its connection is gone: the demo that set it is dead (killed, or its machine is gone).
    if ((await redis.eval(TAKE_OVER, 1, key, current, value)) === 1) return true;
  }
  throw new Error(`could not settle who holds ${key} in Redis; try again`);
}

async function connectionOpen(redis: Redis, name: string): Promise<boolean> {
  const list = (await redis.client('LIST')) as string;

  return list.split('\n').some((line) => new RegExp(`(^| )name=${name}( |$)`).test(line));
}

function parseHolder(value: string): QueueHolder {
  try {
    return JSON.parse(value) as QueueHolder;
  } catch {
    return {};
  }
}

function describeQueueHolder(holder: QueueHolder): string {
  const where = holder.host === hostname() ? 'on this machine' : `on ${holder.host ?? '?'}`;
  const sync = holder.syncPort ? `, sync worker on :${holder.syncPort}` : '';

  return `pid ${holder.pid ?? '?'} ${where}${sync}, since ${holder.since ?? '?'}`;
}

/** The command that runs a second demo beside this one, from this one's settings. */
function anotherDemoCommand(identity: DemoIdentity): string {
  const url = new URL(identity.databaseUrl);
  if (url.password) url.password = '***';
  url.pathname = `/${demoDatabaseName(identity.databaseUrl)}_2`;
  const base = identity.ports.auth - 1 + 1000;

  return (
    `DEMO_DATABASE_URL=${url.toString()} DEMO_QUEUE_PREFIX=${identity.queuePrefix}-2 ` +
    `DEMO_PORT_BASE=${base} npm start`
  );
}

export function demoDatabaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

/** The same server's `postgres` database: the demo's own is dropped while the lock is held. */
export function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';

  return url.toString();
}

function hash31(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) & 0x7fffffff;
}
