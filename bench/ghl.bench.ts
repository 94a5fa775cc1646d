// `npm run bench -- ghl`: the GHL client and its rate governor, measured against the sandbox.
//
// 1. Limits off: the client's requests per second (GhlClient with its Redis governor, as the
//    sync worker builds it, limits raised out of the way) against a bare undici loop doing the
//    same GET on the same sandbox, with the same concurrency, interleaved.
// 2. Limits off: a complete full sync of a location by the real sync worker, counted in the
//    sandbox's stats: GHL calls per contact.
// 3. GHL's real limits (100 requests / 10 s per location): four sync-worker processes run full
//    syncs of two 5,000-contact locations; after a warm-up, a 60 s window in which each
//    location's 2xx answers are compared with what the limit allows, and every 429 is counted.
//
// Progress goes to stderr; the last two lines of stdout are the figures.
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { ConnectionOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Pool } from 'undici';

import { Connection, ConnectionStatus, dataSourceOptions, SyncRun } from '@sm/entities';
import { GhlClient, RedisRateGovernor } from '@sm/ghl-client';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import {
  createTestDatabase,
  freePort,
  sandboxAccessToken,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
  WORKSPACE_ROOT,
} from '@sm/testing';

const LIMITED = ['SMbenchLimitedLoc01', 'SMbenchLimitedLoc02'];
const COUNTED = 'SMbenchCountedLoc01';
const LIMITED_CONTACTS = 5_000;
const COUNTED_CONTACTS = 1_000;
const WORKERS = 4;
/** What a full sync reads with: contacts, the location, its custom fields and tasks. */
const READ_SCOPES = [
  'contacts.readonly',
  'locations.readonly',
  'locations/customFields.readonly',
  'locations/tasks.readonly',
];
const SERVICE_TOKEN = 'bench-service-token-0123456789abcdef';
/** GHL's limit, which the sandbox enforces in phase 3. */
const BURST_LIMIT = 100;
const BURST_WINDOW_MS = 10_000;
/** A limit nothing reaches, for the phases that run with GHL's limits off. */
const UNLIMITED = 1_000_000_000;
const WARM_UP_MS = 5_000;
const WINDOW_MS = 60_000;
const THROUGHPUT_ROUND_MS = 1_500;
const THROUGHPUT_ROUNDS = 6;
const CONCURRENCY = 16;
/** The processes' logs of the last run, for a look when a figure surprises. */
const LOG_DIR = path.join(WORKSPACE_ROOT, 'tmp/bench-ghl');

interface SandboxStats {
  requests: {
    total: number;
    byStatus: Record<string, number>;
    byLocationStatus: Record<string, Record<string, number>>;
  };
}

const log = (message: string) => process.stderr.write(`[ghl bench] ${message}\n`);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

  const benchStarted = Date.now();
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  try {
    const prefix = uniqueQueuePrefix('bench-ghl');
    const redis = new Redis(redisOptionsFromUrl(TEST_REDIS_URL));
    cleanups.push(async () => {
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
    });
    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.drop());
    const dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    cleanups.push(() => dataSource.destroy());

    log('starting the sandbox');
    const sandbox = await startSandbox();
    cleanups.push(() => sandbox.process.stop());
    const tokens = await startTokenEndpoint(sandbox.url);
    cleanups.push(() => tokens.close());
    await dataSource.getRepository(Connection).save(
      [...LIMITED, COUNTED].map((locationId) => ({
        locationId,
        status: ConnectionStatus.Active,
        scopes: READ_SCOPES,
      })),
    );

    // Before the workers start, so that nothing else runs on the machine's cores meanwhile.
    await setFaults(sandbox.url, { rateLimits: false });
    const throughput = await measureThroughput(sandbox.url, tokens, redis, prefix);

    log(`starting ${WORKERS} sync-worker processes`);
    const workers: ServiceProcess[] = [];
    cleanups.push(() => Promise.all(workers.map(stopWorker)));
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const options = { databaseUrl: database.url, prefix, sandboxUrl: sandbox.url, tokens };
        workers.push(await startWorker(options));
      }),
    );
    const queue = new Queue(QueueName.LocationSync, {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
    });
    cleanups.push(() => queue.close());

    const callsPerContact = await countFullSync(sandbox.url, queue, dataSource);
    await setFaults(sandbox.url, {
      rateLimits: true,
      burstLimit: BURST_LIMIT,
      burstWindowMs: BURST_WINDOW_MS,
    });
    const limited = await measureBudget(sandbox.url, queue);

    const ratio = throughput.client / throughput.undici;
    console.log(
      `ghl throughput (limits off): client_rps=${throughput.client.toFixed(0)} ` +
        `undici_rps=${throughput.undici.toFixed(0)} ratio=${ratio.toFixed(2)}`,
    );
    console.log(
      `ghl: budget_use=${limited.budgetUse.toFixed(3)} http_429=${limited.http429} ` +
        `calls_per_contact=${callsPerContact.toFixed(3)}`,
    );
  } finally {
    log('cleaning up');
    await cleanUp();
    log(`done in ${((Date.now() - benchStarted) / 1000).toFixed(0)} s`);
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the client against a bare undici loop.

async function measureThroughput(
  sandboxUrl: string,
  tokens: TokenEndpoint,
  redis: Redis,
  prefix: string,
): Promise<{ client: number; undici: number }> {
  const token = await tokens.token(COUNTED);
  const exported = (await (await fetch(`${sandboxUrl}/_sandbox/export/${COUNTED}`)).json()) as {
    contacts: Array<{ id: string }>;
  };
  const ids = exported.contacts.map((contact) => contact.id);

  // The governor the sync worker uses, with its limits raised: it still does its Redis work
  // (acquire and observe on every call) but never makes a call wait.
  const client = new GhlClient({
    baseUrl: sandboxUrl,
    connections: CONCURRENCY,
    tokenProvider: { getAccessToken: async () => token },
    rateGovernor: new RedisRateGovernor({
      redis,
      keyPrefix: `${prefix}:bench-rate`,
      burstLimit: UNLIMITED,
      dailyLimit: UNLIMITED,
    }),
  });
  const location = client.forLocation(COUNTED);
  const pool = new Pool(sandboxUrl, { connections: CONCURRENCY });
  const headers = {
    accept: 'application/json',
    authorization: `Bearer ${token}`,
    version: '2021-07-28',
  };
  const bare = async (id: string) => {
    const response = await pool.request({ method: 'GET', path: `/contacts/${id}`, headers });
    const body = JSON.parse(await response.body.text()) as unknown;
    if (response.statusCode !== 200) throw new Error(`bare loop got ${response.statusCode}`);

    return body;
  };

  const totals = { client: { calls: 0, ms: 0 }, undici: { calls: 0, ms: 0 } };
  await loop(bare, ids, 500); // warm both the sandbox and the connections
  await loop((id) => location.getContact(id), ids, 500);
  const contenders = {
    undici: bare,
    client: (id: string) => location.getContact(id),
  };
  // Short rounds in the order A B B A …, so that a change in the machine's load hits both alike.
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    const order =
      round % 2 === 0 ? (['undici', 'client'] as const) : (['client', 'undici'] as const);
    for (const name of order) {
      const started = Date.now();
      const calls = await loop(contenders[name], ids, THROUGHPUT_ROUND_MS);
      totals[name].calls += calls;
      totals[name].ms += Date.now() - started;
    }
  }
  for (const name of ['undici', 'client'] as const) {
    log(`${name}: ${totals[name].calls} requests in ${totals[name].ms} ms`);
  }
  await client.close();
  await pool.close();

  return {
    client: (totals.client.calls * 1000) / totals.client.ms,
    undici: (totals.undici.calls * 1000) / totals.undici.ms,
  };
}

/** `CONCURRENCY` callers in a closed loop for `durationMs`; resolves with the calls made. */
async function loop(
  call: (id: string) => Promise<unknown>,
  ids: string[],
  durationMs: number,
): Promise<number> {
  const until = Date.now() + durationMs;
  let calls = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, caller) => {
      for (let i = caller; Date.now() < until; i += CONCURRENCY) {
        await call(ids[i % ids.length]);
        calls += 1;
      }
    }),
  );

  return calls;
}

// ---------------------------------------------------------------------------------------------
// Phase 2: GHL calls per contact of one complete full sync, limits off.

async function countFullSync(
  sandboxUrl: string,
  queue: Queue,
  dataSource: DataSource,
): Promise<number> {
  log(`full sync of ${COUNTED_CONTACTS} contacts, limits off`);
  const before = await stats(sandboxUrl);
  const started = Date.now();
  await queue.add(JobName.SyncLocation, { locationId: COUNTED, trigger: 'manual' });
  const run = await waitFor(async () => {
    const latest = await dataSource
      .getRepository(SyncRun)
      .findOneBy({ locationId: COUNTED, scope: 'location' });
    if (latest?.status === 'failed') throw new Error(`the full sync failed: ${latest.lastError}`);

    return latest?.status === 'succeeded' ? latest : null;
  }, 90_000);
  const after = await stats(sandboxUrl);
  // Every GHL request of the phase, refused ones included (a 401 names no location).
  const calls = after.requests.total - before.requests.total;
  const contacts = run.counts.contacts;
  log(
    `full sync: ${contacts} contacts, ${calls} GHL calls (run says ${run.ghlCalls}) in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (contacts !== COUNTED_CONTACTS) throw new Error(`synced ${contacts} contacts`);

  return calls / contacts;
}

// ---------------------------------------------------------------------------------------------
// Phase 3: the budget used at GHL's real limits.

async function measureBudget(
  sandboxUrl: string,
  queue: Queue,
): Promise<{ budgetUse: number; http429: number }> {
  log(`full syncs of ${LIMITED.join(', ')} at ${BURST_LIMIT} requests / ${BURST_WINDOW_MS} ms`);
  const start = await stats(sandboxUrl);
  for (const locationId of LIMITED) {
    await queue.add(JobName.SyncLocation, { locationId, trigger: 'manual' });
  }
  await waitFor(async () => {
    const now = await stats(sandboxUrl);
    const begun = LIMITED.every((id) => sumStatuses(now, id) > sumStatuses(start, id));

    return begun ? true : null;
  }, 30_000);
  await delay(WARM_UP_MS);

  const opened = await stats(sandboxUrl);
  const openedAt = Date.now();
  let previous = opened;
  while (Date.now() - openedAt < WINDOW_MS - 100) {
    await delay(Math.min(BURST_WINDOW_MS, WINDOW_MS - (Date.now() - openedAt)));
    const now = await stats(sandboxUrl);
    const spent = LIMITED.map((id) => success(now, id) - success(previous, id));
    log(`+${((Date.now() - openedAt) / 1000).toFixed(1)} s: 2xx per location ${spent.join(' / ')}`);
    previous = now;
  }
  const closed = await stats(sandboxUrl);
  const windowMs = Date.now() - openedAt;

  const allowed = (BURST_LIMIT * windowMs) / BURST_WINDOW_MS;
  const uses = LIMITED.map((id) => (success(closed, id) - success(opened, id)) / allowed);
  LIMITED.forEach((id, i) =>
    log(`${id}: ${(uses[i] * allowed).toFixed(0)} 2xx of ${allowed.toFixed(0)} allowed`),
  );
  const http429 = (closed.requests.byStatus['429'] ?? 0) - (start.requests.byStatus['429'] ?? 0);

  return { budgetUse: Math.min(...uses), http429 };
}

// ---------------------------------------------------------------------------------------------
// The stack: sandbox, token endpoint, workers.

async function startSandbox(): Promise<{ url: string; process: ServiceProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const locations = [
    ...LIMITED.map((id) => `${id}:${LIMITED_CONTACTS}`),
    `${COUNTED}:${COUNTED_CONTACTS}`,
  ];
  const process = await startServiceProcess({
    entry: 'apps/ghl-sandbox/src/main.ts',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      SANDBOX_LOCATIONS: locations.join(','),
      LOG_LEVEL: 'warn',
    },
    readyUrl: `${url}/health/live`,
    timeoutMs: 60_000,
    logFile: path.join(LOG_DIR, 'ghl-sandbox.log'),
  });

  return { url, process };
}

interface TokenEndpoint {
  url: string;
  token(locationId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The auth service's internal token endpoint as docs/architecture.md defines it, handing out
 * tokens got from the sandbox through its OAuth flow (consent redirect → code → token).
 */
async function startTokenEndpoint(sandboxUrl: string): Promise<TokenEndpoint> {
  const issued = new Map<string, Promise<string>>();
  const token = (locationId: string) => {
    if (!issued.has(locationId)) issued.set(locationId, sandboxToken(sandboxUrl, locationId));

    return issued.get(locationId) as Promise<string>;
  };
  const server: Server = createServer((request, response) => {
    const match = /^\/internal\/locations\/([^/]+)\/access-token$/.exec(request.url ?? '');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${SERVICE_TOKEN}`) return reply(401, {});
    if (!match || request.method !== 'POST') return reply(404, {});
    const locationId = decodeURIComponent(match[1]);
    token(locationId).then(
      (accessToken) =>
        reply(200, {
          locationId,
          accessToken,
          expiresAt: new Date(Date.now() + 86_399_000).toISOString(),
          scopes: READ_SCOPES,
        }),
      () => reply(502, { error: 'ghl_unavailable' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sandboxToken(sandboxUrl: string, locationId: string): Promise<string> {
  return sandboxAccessToken(sandboxUrl, locationId, READ_SCOPES.join(' '));
}

async function startWorker(options: {
  databaseUrl: string;
  prefix: string;
  sandboxUrl: string;
  tokens: TokenEndpoint;
}): Promise<ServiceProcess> {
  const port = await freePort();

  return startServiceProcess({
    entry: 'apps/sync-worker/src/main.ts',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: options.prefix,
      LOG_LEVEL: 'warn',
      SERVICE_TOKEN,
      GHL_API_BASE_URL: options.sandboxUrl,
      AUTH_SERVICE_URL: options.tokens.url,
      // Raised out of the way of the unlimited phases: at GHL's limits the governor learns them
      // from the X-RateLimit-* headers of the first answers (a lower announced limit wins).
      GHL_BURST_LIMIT: String(UNLIMITED),
      GHL_DAILY_LIMIT: String(UNLIMITED),
    },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
    timeoutMs: 90_000,
    logFile: path.join(LOG_DIR, `sync-worker-${port}.log`),
  });
}

/** A worker still in a 5,000-contact sync is given 5 s to stop, then killed. */
async function stopWorker(worker: ServiceProcess): Promise<void> {
  const stopped = worker.stop('SIGTERM');
  const inTime = await Promise.race([stopped.then(() => true), delay(5_000).then(() => false)]);
  if (!inTime) await worker.stop('SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// Helpers.

async function stats(sandboxUrl: string): Promise<SandboxStats> {
  return (await (await fetch(`${sandboxUrl}/_sandbox/stats`)).json()) as SandboxStats;
}

function sumStatuses(snapshot: SandboxStats, locationId: string): number {
  const statuses = snapshot.requests.byLocationStatus[locationId] ?? {};

  return Object.values(statuses).reduce((sum, count) => sum + count, 0);
}

function success(snapshot: SandboxStats, locationId: string): number {
  const statuses = snapshot.requests.byLocationStatus[locationId] ?? {};

  return Object.entries(statuses)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
}

async function setFaults(sandboxUrl: string, faults: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sandboxUrl}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`the sandbox refused its faults: ${response.status}`);
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await delay(100);
  }
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[ghl bench] failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
