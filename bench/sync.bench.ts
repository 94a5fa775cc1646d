// `npm run bench -- sync`: the sync worker's full sync and nightly reconciliation, against the
// sandbox with its rate limits off.
//
// 1. A fresh worker process syncs a location of 10,000 contacts with their tasks, notes and
//    appointments: records written per second (from the run's own duration), and the process'
//    peak RSS (VmHWM).
// 2. Baseline, same run: the same rows written by a bare multi-row INSERT (1,000 rows a
//    statement) into empty copies of the record tables. vs_insert = sync rate / insert rate.
// 3. 1 % of the contacts change in GHL (no webhooks); a nightly reconciliation runs: GHL calls
//    per contact, from the run's own count.
// 4. Another fresh worker process syncs 50,000 contacts: rss_ratio = its peak RSS over the
//    10,000-contact one. The workers run with a bounded V8 heap (WORKER_HEAP_MB): a sync's live
//    heap stays near 75 MB at either size, but an unbounded V8 lets garbage pile up to about four
//    times the live heap before a full collection, so the longer run's peak measured when V8
//    got round to collecting, not what the sync holds. A sync that held more than the bound
//    would fail the bench (out of memory) instead of passing it.
//
// Progress goes to stderr; the last line of stdout is the figures.
//
// TODO: vs_insert is 0.2-0.23 against its 0.5 target, and this machine (2 cores, shared by the
// worker, the sandbox, Postgres and Redis) leaves little room. CPU of a 10k first sync after the
// statement-level insert triggers and the batched rate slots: worker ~5.3 s, Postgres ~4.3 s,
// sandbox ~3.7 s, Redis ~0.3 s; the bare INSERT writes its 55,000 rows in ~2 s. Floors measured
// apart: 20,000 keep-alive GETs cost ~0.9 s client and ~0.6 s server CPU against a bare server;
// the ~88,000 timeline rows cost ~1 s in their three indexes and ON CONFLICT alone; the record
// upserts ~1.8 s. The worker's rest is the pg client (five socket writes per extended query,
// parameters serialised), undici and GC. Left: fewer, larger statements (children of several
// pages in one transaction), and the sandbox's cost per answer (its children made from their
// seed on every read, Express' ETag); neither reaches 0.5 alone on two cores.
import { readFileSync } from 'node:fs';

import { ConnectionOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus, dataSourceOptions, SyncRun } from '@sm/entities';
import { DEFAULT_JOB_OPTIONS, JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import {
  createTestDatabase,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import {
  sandboxAccessToken,
  startSandbox,
  startTokenEndpoint,
} from '../apps/sync-worker/test/sandbox-harness';

const SMALL = { locationId: 'SMbenchSync10k000001', contacts: 10_000 };
const LARGE = { locationId: 'SMbenchSync50k000001', contacts: 50_000 };
const CHANGED_SHARE = 0.01;
const SERVICE_TOKEN = 'bench-sync-token-0123456789abcdef';
const SCOPES =
  'contacts.readonly locations.readonly locations/tasks.readonly locations/customFields.readonly';
const RECORD_TABLES = ['contacts', 'contact_tasks', 'contact_notes', 'contact_appointments'];
const INSERT_CHUNK = 1_000;
const RUN_TIMEOUT_MS = 600_000;
/** The worker's old-space bound: twice a sync's live heap, well inside the pod's 512 MiB. */
const WORKER_HEAP_MB = 160;

const log = (message: string) => process.stderr.write(`sync bench: ${message}\n`);

async function main(): Promise<void> {
  const prefix = uniqueQueuePrefix('bench-sync');
  const database = await createTestDatabase();
  const db = await new DataSource(dataSourceOptions(database.url)).initialize();
  const sandbox = await startSandbox({
    [SMALL.locationId]: SMALL.contacts,
    [LARGE.locationId]: LARGE.contacts,
  });
  const tokens = new Map<string, Promise<string>>();
  const tokenEndpoint = await startTokenEndpoint({
    serviceToken: SERVICE_TOKEN,
    token: (locationId) => {
      if (!tokens.has(locationId)) {
        tokens.set(locationId, sandboxAccessToken(sandbox.url, locationId, SCOPES));
      }

      return tokens.get(locationId) as Promise<string>;
    },
  });
  const queue = new Queue(QueueName.LocationSync, {
    connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const context: BenchContext = { database, db, queue, prefix, sandbox, tokenEndpoint };
  try {
    await db.getRepository(Connection).save(
      [SMALL, LARGE].map(({ locationId }) => ({
        locationId,
        status: ConnectionStatus.Active,
        scopes: SCOPES.split(' '),
      })),
    );
    const small = await syncInFreshWorker(context, SMALL.locationId);
    const records = recordsOf(small.run);
    const recordsPerSecond = records / ((small.run.durationMs ?? 1) / 1000);
    log(`10k: ${records} records in ${small.run.durationMs} ms, peak RSS ${small.peakRssKb} kB`);

    const insertPerSecond = await bareInsertRate(db, SMALL.locationId);
    log(`bare INSERT: ${Math.round(insertPerSecond)} rows/s`);

    const callsPerContact = await nightlyCallsPerContact(context, SMALL);

    const large = await syncInFreshWorker(context, LARGE.locationId);
    log(
      `50k: ${recordsOf(large.run)} records in ${large.run.durationMs} ms, ` +
        `peak RSS ${large.peakRssKb} kB`,
    );

    const figures = [
      `records_per_s=${Math.round(recordsPerSecond)}`,
      `vs_insert=${(recordsPerSecond / insertPerSecond).toFixed(2)}`,
      `rss_ratio=${(large.peakRssKb / small.peakRssKb).toFixed(2)}`,
      `calls_per_contact_nightly=${callsPerContact.toFixed(4)}`,
    ];
    process.stdout.write(`sync: ${figures.join(' ')}\n`);
  } finally {
    await queue.close();
    await tokenEndpoint.close();
    await sandbox.process.stop();
    await db.destroy();
    await database.drop();
    await deleteKeys(prefix);
  }
}

interface BenchContext {
  database: TestDatabase;
  db: DataSource;
  queue: Queue;
  prefix: string;
  sandbox: { url: string; process: ServiceProcess };
  tokenEndpoint: { url: string };
}

/** A worker process of its own for one sync, so that its peak RSS is that sync's. */
async function syncInFreshWorker(context: BenchContext, locationId: string) {
  const worker = await startWorker(context);
  try {
    const run = await runSync(context, locationId, 'install');

    return { run, peakRssKb: peakRssKb(worker.child.pid as number) };
  } finally {
    await worker.stop();
  }
}

async function startWorker(context: BenchContext): Promise<ServiceProcess> {
  const port = await freePort();

  return startServiceProcess({
    entry: 'apps/sync-worker/src/main.ts',
    env: {
      DATABASE_URL: context.database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: context.prefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      GHL_API_BASE_URL: context.sandbox.url,
      AUTH_SERVICE_URL: context.tokenEndpoint.url,
      SERVICE_TOKEN,
      CHILD_FETCH_CONCURRENCY: '32',
      NODE_OPTIONS: `--max-old-space-size=${WORKER_HEAP_MB}`,
      GHL_BURST_LIMIT: '1000000000',
      GHL_DAILY_LIMIT: '1000000000',
    },
    readyUrl: `http://127.0.0.1:${port}/health/live`,
    timeoutMs: 60_000,
  });
}

async function runSync(
  context: BenchContext,
  locationId: string,
  trigger: 'install' | 'nightly',
): Promise<SyncRun> {
  const job = await context.queue.add(JobName.SyncLocation, { locationId, trigger });
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const run = await context.db
      .getRepository(SyncRun)
      .findOneBy({ jobId: job.id as string, status: 'succeeded' });
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`${trigger} sync of ${locationId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** 1 % of the contacts change in GHL; the nightly run's GHL calls per contact. */
async function nightlyCallsPerContact(
  context: BenchContext,
  location: { locationId: string; contacts: number },
): Promise<number> {
  const changes = Math.round(location.contacts * CHANGED_SHARE);
  for (let index = 0; index < changes; index++) {
    await fetch(`${context.sandbox.url}/_sandbox/locations/${location.locationId}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'contact.update', fields: { city: `Changed ${index}` } }),
    });
  }
  const worker = await startWorker(context);
  try {
    const run = await runSync(context, location.locationId, 'nightly');
    log(`nightly: ${run.ghlCalls} GHL calls, ${run.counts.contacts} contacts written`);

    return run.ghlCalls / location.contacts;
  } finally {
    await worker.stop();
  }
}

/** Rows per second of a bare multi-row INSERT of the location's rows into empty copies. */
async function bareInsertRate(db: DataSource, locationId: string): Promise<number> {
  let rows = 0;
  let elapsedMs = 0;
  for (const table of RECORD_TABLES) {
    const copy = `bench_${table}`;
    await db.query(`CREATE TABLE ${copy} (LIKE ${table} INCLUDING ALL)`);
    const stored: Record<string, unknown>[] = await db.query(
      `SELECT * FROM ${table} WHERE location_id = $1`,
      [locationId],
    );
    const columns = Object.keys(stored[0] ?? {});
    const startedAt = performance.now();
    for (let start = 0; start < stored.length; start += INSERT_CHUNK) {
      const chunk = stored.slice(start, start + INSERT_CHUNK);
      const values = chunk.map(
        (_, row) =>
          `(${columns.map((_column, index) => `$${row * columns.length + index + 1}`).join(', ')})`,
      );
      await db.query(
        `INSERT INTO ${copy} (${columns.join(', ')}) VALUES ${values.join(', ')}`,
        chunk.flatMap((row) => columns.map((column) => jsonReady(row[column]))),
      );
    }
    elapsedMs += performance.now() - startedAt;
    rows += stored.length;
    await db.query(`DROP TABLE ${copy}`);
  }

  return rows / (elapsedMs / 1000);
}

/** pg hands jsonb back as objects: they go back in as JSON text, as the worker sends them. */
const jsonReady = (value: unknown) =>
  value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value)
    ? JSON.stringify(value)
    : value;

const recordsOf = (run: SyncRun) =>
  run.counts.contacts + run.counts.tasks + run.counts.notes + run.counts.appointments;

function peakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');

  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisOptionsFromUrl(TEST_REDIS_URL));
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

main().catch((error) => {
  process.stderr.write(`sync bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
