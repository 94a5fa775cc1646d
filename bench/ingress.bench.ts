// `npm run bench -- ingress`: the webhook ingress under autocannon, on loopback, against a bare
// node:http server measured in the same run.
//
// The ingress runs as production runs it: built with tools/build/build-project.mjs and started
// with plain `node dist/.../main.js` (`--no-build` reuses an existing build; `--profile=<dir>`
// writes the ingress' CPU profile there), against a
// scratch database and a queue prefix of its own, verifying Ed25519 signatures with a key pair
// made for this run. Every delivery is a GHL example with a unique webhookId and a fresh
// timestamp, signed over its exact bytes before the clock starts.
//
// Last line: `ingress: accepted_per_s=<n> p99_ms=<n> vs_bare=<ratio>`
//   accepted_per_s  deliveries answered `accepted` per second at saturation
//   p99_ms          99th percentile latency at a steady 1,000 deliveries per second
//   vs_bare         accepted_per_s relative to the bare server's saturated throughput
// Before it, the check that every delivery answered `accepted` is a row in the inbox, and three
// floors, servers measured in the same rounds that do only what the issue asks of any ingress:
// `verify-only` reads the body, checks its Ed25519 signature the way the ingress does
// (libsodium) and parses the JSON; `verify+insert` also records it durably, in the ingress'
// statement shape, before answering; `verify+insert+enqueue` also puts a BullMQ job per
// delivery on a queue after the answer, gathered as the ingress gathers them. Their ratios to
// the bare server bound what an ingress can reach on the machine that ran them.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { KeyObject, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { DEFAULT_JOB_OPTIONS } from '@sm/queues';
import {
  TEST_REDIS_URL,
  WORKSPACE_ROOT,
  createTestDatabase,
  freePort,
  uniqueQueuePrefix,
  waitForHttp,
} from '@sm/testing';

const CONNECTIONS = 32;
const WARMUP_SECONDS = 3;
const SATURATION_SECONDS = 12;
/** Saturation is measured in this many alternating bare / ingress rounds. */
const ROUNDS = 3;
const STEADY_RATE = 1_000;
const STEADY_SECONDS = 10;
const STEADY_CONNECTIONS = 20;
/** Enough signed deliveries for the ingress' phases at well above the target rate. */
const SIGNED_DELIVERIES = 90_000;
const EXAMPLES = [
  'ContactCreate',
  'ContactUpdate',
  'TaskCreate',
  'NoteCreate',
  'AppointmentCreate',
];
const INGRESS_ENTRY = 'dist/apps/webhook-ingress/apps/webhook-ingress/src/main.js';

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number; max: number };
  requests: { average: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

interface Delivery {
  body: Buffer;
  signature: string;
}

const progress = (line: string) => process.stderr.write(`[ingress bench] ${line}\n`);

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'ingress-bench-'));
  const queuePrefix = uniqueQueuePrefix('bench-ingress');
  const cleanups: (() => Promise<unknown> | unknown)[] = [
    () => rmSync(scratch, { recursive: true, force: true }),
  ];
  try {
    if (!process.argv.includes('--no-build')) {
      progress('building apps/webhook-ingress (tools/build/build-project.mjs)');
      execFileSync(process.execPath, ['tools/build/build-project.mjs', 'apps/webhook-ingress'], {
        cwd: WORKSPACE_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }

    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const publicKeyFile = path.join(scratch, 'ed25519.pem');
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    progress(`signing ${SIGNED_DELIVERIES} deliveries`);
    const deliveries = signedDeliveries(privateKey, SIGNED_DELIVERIES);

    const database = await createTestDatabase();
    cleanups.unshift(() => database.drop());
    cleanups.unshift(() => deleteQueueKeys(queuePrefix));

    // The baseline: the same deliveries, the same load generator, a server that only reads.
    const bare = await startProcess(scratch, 'bare', ['-e', BARE_SERVER], {}, '/');
    cleanups.unshift(() => bare.stop());
    const bareTarget = sender(bare.url, cycle(deliveries));
    // The floors: what any ingress must do, and nothing else (FLOOR_SERVER below). They have a
    // database and a queue prefix of their own, so that the ingress' commit count and sweeper
    // see only the ingress' rows.
    const floorDatabase = await createTestDatabase();
    cleanups.unshift(() => floorDatabase.drop());
    const floorPrefix = `${queuePrefix}-floor`;
    cleanups.unshift(() => deleteQueueKeys(floorPrefix));
    const inserts = { DATABASE_URL: floorDatabase.url, FLOOR_INSERTS: '1' };
    const enqueues = {
      ...{ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: floorPrefix, FLOOR_ENQUEUES: '1' },
      FLOOR_JOB_OPTIONS: JSON.stringify(DEFAULT_JOB_OPTIONS),
    };
    const floors: Floor[] = [];
    for (const [name, env] of [
      ['verify-only', {}],
      ['verify+insert', inserts],
      ['verify+insert+enqueue', { ...inserts, ...enqueues }],
    ] as const) {
      const server = await startProcess(
        scratch,
        name,
        ['-e', FLOOR_SERVER],
        { WEBHOOK_ED25519_PUBLIC_KEY_FILES: publicKeyFile, ...env },
        '/',
      );
      cleanups.unshift(() => server.stop());
      const floor = { name, server, target: sender(server.url, cycle(deliveries)), count: 0 };
      floors.push({ ...floor, seconds: 0, machine: 0 });
    }
    const ingress = await startProcess(
      scratch,
      'ingress',
      [...profileArgs(), INGRESS_ENTRY],
      {
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'info',
        WEBHOOK_ED25519_PUBLIC_KEY_FILES: publicKeyFile,
      },
      '/health/ready',
    );
    cleanups.unshift(() => ingress.stop());
    const target = sender(ingress.url, deliveries[Symbol.iterator]());

    progress('warming up every server');
    for (const { load } of [bareTarget, ...floors.map((floor) => floor.target)]) {
      await autocannon({ ...load, duration: WARMUP_SECONDS, connections: CONNECTIONS });
    }
    await autocannon({ ...target.load, duration: WARMUP_SECONDS, connections: CONNECTIONS });

    // Saturation in alternating rounds, so that the load other work puts on the machine over
    // the run weighs on both servers alike.
    const bareTotals = { count: 0, seconds: 0, cpu: 0, machine: 0 };
    const ingressTotals = {
      ...{ count: 0, seconds: 0, cpu: 0, machine: 0 },
      ...{ non2xx: 0, errors: 0, p99: 0 },
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const bareCpu = bare.cpuSeconds();
      const bareMachine = machineCpuSeconds();
      const bareRun = await autocannon({
        ...bareTarget.load,
        duration: SATURATION_SECONDS / ROUNDS,
        connections: CONNECTIONS,
      });
      bareTotals.count += bareRun['2xx'];
      bareTotals.seconds += bareRun.duration;
      bareTotals.cpu += bare.cpuSeconds() - bareCpu;
      bareTotals.machine += machineCpuSeconds() - bareMachine;

      const floorRates: string[] = [];
      for (const floor of floors) {
        const verifiedBefore = floor.target.verified;
        const machineBefore = machineCpuSeconds();
        const floorRun = await autocannon({
          ...floor.target.load,
          duration: SATURATION_SECONDS / ROUNDS,
          connections: CONNECTIONS,
        });
        floor.count += floor.target.verified - verifiedBefore;
        floor.seconds += floorRun.duration;
        floor.machine += machineCpuSeconds() - machineBefore;
        floorRates.push(`${floor.name} ${perSecond(floorRun['2xx'], floorRun.duration)} req/s`);
      }

      const acceptedBefore = target.accepted.length;
      const ingressCpu = ingress.cpuSeconds();
      const ingressMachine = machineCpuSeconds();
      const run = await autocannon({
        ...target.load,
        duration: SATURATION_SECONDS / ROUNDS,
        connections: CONNECTIONS,
      });
      ingressTotals.count += target.accepted.length - acceptedBefore;
      ingressTotals.seconds += run.duration;
      ingressTotals.cpu += ingress.cpuSeconds() - ingressCpu;
      ingressTotals.machine += machineCpuSeconds() - ingressMachine;
      ingressTotals.non2xx += run.non2xx;
      ingressTotals.errors += run.errors;
      ingressTotals.p99 = Math.max(ingressTotals.p99, run.latency.p99);
      progress(
        `round ${round}: bare ${perSecond(bareRun['2xx'], bareRun.duration)} req/s, ` +
          `${floorRates.join(', ')}, ` +
          `ingress ${perSecond(target.accepted.length - acceptedBefore, run.duration)} accepted/s`,
      );
    }
    await bare.stop();
    for (const { server } of floors) await server.stop();
    const barePerSecond = bareTotals.count / bareTotals.seconds;
    const bareCpuPerRequest = bareTotals.cpu / bareTotals.count;
    const acceptedPerSecond = ingressTotals.count / ingressTotals.seconds;
    const cpuPerAccepted = ingressTotals.cpu / ingressTotals.count;
    progress(
      `bare node:http saturated: ${Math.round(barePerSecond)} req/s, ` +
        `${microseconds(bareCpuPerRequest)} µs CPU per request ` +
        `(machine: ${microseconds(bareTotals.machine / bareTotals.count)} µs)`,
    );
    progress(
      `ingress saturated: ${Math.round(acceptedPerSecond)} accepted/s, ` +
        `p99 ${ingressTotals.p99} ms, non-2xx ${ingressTotals.non2xx}, ` +
        `errors ${ingressTotals.errors}, ${microseconds(cpuPerAccepted)} µs CPU per delivery ` +
        `(all threads; ${(cpuPerAccepted / bareCpuPerRequest).toFixed(1)}x bare)`,
    );
    // The whole machine's busy CPU per delivery: ingress, Postgres, Redis and the load generator.
    // vs_bare cannot pass the bare server's figure over this one.
    progress(
      `machine CPU per accepted delivery: ` +
        `${microseconds(ingressTotals.machine / ingressTotals.count)} µs`,
    );

    const steady = await autocannon({
      ...target.load,
      duration: STEADY_SECONDS,
      connections: STEADY_CONNECTIONS,
      overallRate: STEADY_RATE,
    });
    progress(
      `ingress at ${STEADY_RATE}/s: ${Math.round(steady.requests.average)} req/s, ` +
        `p50 ${steady.latency.p50} ms, p99 ${steady.latency.p99} ms, max ${steady.latency.max} ms`,
    );
    if (target.exhausted) throw new Error('ran out of signed deliveries; raise SIGNED_DELIVERIES');

    await ingress.stop();
    progress(`ingress wrote ${countLines(ingress.logFile)} log lines`);
    const commits = await commitsOf(database.url);
    progress(`${(target.accepted.length / commits).toFixed(1)} deliveries per Postgres commit`);
    const stored = await countStored(database.url, target.accepted);
    const isComplete = stored === target.accepted.length;
    process.stdout.write(
      `inbox check: ${stored} of ${target.accepted.length} accepted deliveries are rows in ` +
        `webhook_inbox${isComplete ? '' : ' (MISSING ROWS)'}\n`,
    );
    if (!isComplete) process.exitCode = 1;

    const floorJobs = await waitingJobs(floorPrefix, 'floor-deliveries');
    const enqueueFloor = floors.find((floor) => floor.name === 'verify+insert+enqueue');
    progress(
      `floor verify+insert+enqueue: ${floorJobs} jobs on its queue for ` +
        `${enqueueFloor?.target.verified} deliveries it answered`,
    );
    for (const floor of floors) {
      const floorPerSecond = floor.count / floor.seconds;
      progress(
        `floor ${floor.name}: machine CPU per delivery ` +
          `${microseconds(floor.machine / floor.count)} µs`,
      );
      process.stdout.write(
        `floor ${floor.name}: per_s=${Math.round(floorPerSecond)} ` +
          `vs_bare=${(floorPerSecond / barePerSecond).toFixed(2)}\n`,
      );
    }
    const ratio = acceptedPerSecond / barePerSecond;
    process.stdout.write(
      `ingress: accepted_per_s=${Math.round(acceptedPerSecond)} ` +
        `p99_ms=${steady.latency.p99} vs_bare=${ratio.toFixed(2)}\n`,
    );
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

/** GHL's examples as live deliveries: unique webhookId, fresh timestamp, signed raw bytes. */
function signedDeliveries(privateKey: KeyObject, count: number): Delivery[] {
  const templates = EXAMPLES.map((type) =>
    readFileSync(path.join(WORKSPACE_ROOT, 'vendor/ghl/webhooks', `${type}.json`), 'utf8'),
  );
  const timestamp = new Date().toISOString();

  return Array.from({ length: count }, (_, index) => {
    const template = templates[index % templates.length];
    const text = template.replace(
      '{',
      `{\n  "webhookId": "${randomUUID()}",\n  "timestamp": "${timestamp}",`,
    );
    const body = Buffer.from(text);

    return { body, signature: sign(null, body, privateKey).toString('base64') };
  });
}

function* cycle(deliveries: Delivery[]): Iterator<Delivery> {
  for (;;) yield* deliveries;
}

interface Target {
  /** Inbox ids of the deliveries answered `accepted`, in the order their answers came. */
  accepted: string[];
  /** Deliveries a floor server answered `verified` (it keeps no ids). */
  verified: number;
  /** Set when a request had to be sent without a fresh delivery. */
  exhausted: boolean;
  load: { url: string; requests: AutocannonRequest[] };
}

/** autocannon options that post one delivery per request and note the inbox ids accepted. */
function sender(url: string, source: Iterator<Delivery>): Target {
  const target: Target = {
    ...{ accepted: [], verified: 0, exhausted: false },
    load: { url, requests: [] },
  };
  target.load.requests.push({
    method: 'POST',
    path: '/webhooks/ghl',
    setupRequest: (current) => {
      const next = source.next();
      if (next.done) target.exhausted = true;
      const delivery: Delivery = next.done
        ? { body: Buffer.from('{}'), signature: '' }
        : next.value;

      return {
        ...current,
        body: delivery.body,
        headers: { 'content-type': 'application/json', 'x-ghl-signature': delivery.signature },
      };
    },
    onResponse: (status, body) => {
      if (status !== 200) return;
      if (body === VERIFIED_ANSWER) return void target.verified++;
      const match = /"status":"accepted","id":"([0-9a-f-]{36})"/.exec(body);
      if (match) target.accepted.push(match[1]);
    },
  });

  return target;
}

const BARE_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
}).listen(Number(process.env.PORT), '127.0.0.1');`;

const VERIFIED_ANSWER = '{"status":"verified"}';

interface Floor {
  name: string;
  server: RunningProcess;
  target: Target;
  /** Deliveries answered `verified` over the saturated rounds, and their seconds. */
  count: number;
  seconds: number;
  /** The whole machine's busy CPU over those rounds, in seconds. */
  machine: number;
}

/**
 * A floor: the least an ingress must do for a delivery. It reads the body, checks the Ed25519
 * signature through sodium-native as the ingress does, and parses the JSON; with FLOOR_INSERTS
 * it also records the delivery durably before answering, in the ingress' own statement shape
 * (batched by event-loop turn, two statements in flight); with FLOOR_ENQUEUES it then adds one
 * BullMQ job per recorded delivery, gathered for 10 ms into one addBulk, as the ingress does. It
 * validates nothing and logs nothing. Its dedupe key is made unique per request and process,
 * since the floors cycle through the same signed deliveries into one database. A GET answers 200
 * for the readiness probe; a POST whose signature fails answers 401.
 */
const FLOOR_SERVER = `
const http = require('node:http');
const { createPublicKey } = require('node:crypto');
const { readFileSync } = require('node:fs');
const sodium = require('sodium-native');
const pem = readFileSync(process.env.WEBHOOK_ED25519_PUBLIC_KEY_FILES, 'utf8');
const key = Buffer.from(createPublicKey(pem).export({ format: 'jwk' }).x, 'base64url');
const pool = process.env.FLOOR_INSERTS
  ? new (require('pg').Pool)({ connectionString: process.env.DATABASE_URL, max: 4 })
  : undefined;
const INSERT = 'INSERT INTO webhook_inbox (dedupe_key, webhook_id, event_type, location_id, ' +
  'payload, signature_scheme) SELECT d, w, t, l, p::jsonb, $5 ' +
  'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[]) AS b (d, w, t, l, p) ' +
  'ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, event_type, location_id';
const redisUrl = process.env.FLOOR_ENQUEUES ? new URL(process.env.REDIS_URL) : undefined;
const queue = redisUrl
  ? new (require('bullmq').Queue)('floor-deliveries', {
      connection: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) },
      prefix: process.env.QUEUE_PREFIX,
      defaultJobOptions: JSON.parse(process.env.FLOOR_JOB_OPTIONS),
    })
  : undefined;
let jobs = [];
let jobWindow;
function enqueue(rows) {
  if (!queue) return;
  for (const row of rows) {
    jobs.push({ name: 'floor-delivery', data: { inboxId: row.id, locationId: row.location_id,
      eventType: row.event_type }, opts: { jobId: row.id } });
  }
  jobWindow ??= setTimeout(() => {
    jobWindow = undefined;
    queue.addBulk(jobs.splice(0, jobs.length)).catch(() => undefined);
  }, 10);
}
let pending = [];
let inFlight = 0;
let serial = 0;
function flush() {
  while (pending.length > 0 && inFlight < 2) {
    const batch = pending.splice(0, 200);
    inFlight++;
    const column = (pick) => batch.map(({ event, text }) => pick(event, text));
    pool.query({ name: 'floor-insert', text: INSERT, values: [
      column((event) => event.webhookId + ':' + process.pid + ':' + serial++),
      column((event) => event.webhookId),
      column((event) => event.type),
      column((event) => event.locationId),
      'ed25519',
      column((_event, text) => text),
    ] }).then(
      (result) => {
        batch.forEach(({ done }) => done(true));
        enqueue(result.rows);
      },
      () => batch.forEach(({ done }) => done(false)),
    ).finally(() => { inFlight--; flush(); });
  }
}
function record(event, text) {
  if (!pool) return Promise.resolve(true);
  return new Promise((done) => {
    if (pending.push({ event, text, done }) === 1) setImmediate(flush);
  });
}
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const signature = Buffer.from(req.headers['x-ghl-signature'] || '', 'base64');
    const isGenuine =
      signature.length === 64 && sodium.crypto_sign_verify_detached(signature, body, key);
    const text = body.toString('utf8');
    const isRecorded = isGenuine && (await record(JSON.parse(text), text));
    res.writeHead(isRecorded || req.method === 'GET' ? 200 : isGenuine ? 429 : 401, {
      'content-type': 'application/json',
    });
    res.end(isRecorded ? '${VERIFIED_ANSWER}' : '{"status":"ok"}');
  });
}).listen(Number(process.env.PORT), '127.0.0.1');`;

interface RunningProcess {
  url: string;
  logFile: string;
  /** CPU time the process has used so far, all threads (a figure the machine's load spares). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** A server as a child process, its output in a file (as a log collector would take it). */
async function startProcess(
  scratch: string,
  name: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
): Promise<RunningProcess> {
  const port = await freePort();
  const logFile = path.join(scratch, `${name}.log`);
  const output = openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', output, output],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForHttp(`${url}${readyPath}`, 30_000, () => {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    }
  });

  return {
    url,
    logFile,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `--profile=<dir>` writes a CPU profile of the ingress there (what this bench's figures cost). */
function profileArgs(): string[] {
  const dir = process.argv.find((arg) => arg.startsWith('--profile='))?.slice('--profile='.length);

  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

/** utime + stime from /proc (Linux); 0 elsewhere, which only blanks the CPU figures. */
function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100;

    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Busy CPU time of the whole machine so far, every process and the kernel (Linux; else 0). */
function machineCpuSeconds(): number {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = fields.map(Number);
    const ticksPerSecond = 100;

    return (user + nice + system + irq + softirq + steal) / ticksPerSecond;
  } catch {
    return 0;
  }
}

const microseconds = (seconds: number) => Math.round(seconds * 1e6);
const perSecond = (count: number, seconds: number) => Math.round(count / seconds);

function countLines(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}

async function countStored(databaseUrl: string, inboxIds: string[]): Promise<number> {
  const db = await new DataSource({ type: 'postgres', url: databaseUrl }).initialize();
  try {
    const [{ count }] = await db.query(
      'SELECT count(*)::int AS count FROM webhook_inbox WHERE id = ANY($1::uuid[])',
      [inboxIds],
    );

    return count;
  } finally {
    await db.destroy();
  }
}

/** Transactions committed in the scratch database so far (each insert batch is one). */
async function commitsOf(databaseUrl: string): Promise<number> {
  const db = await new DataSource({ type: 'postgres', url: databaseUrl }).initialize();
  try {
    const [{ commits }] = await db.query(
      'SELECT xact_commit::int AS commits FROM pg_stat_database WHERE datname = current_database()',
    );

    return commits;
  } finally {
    await db.destroy();
  }
}

/** Jobs waiting on a BullMQ queue (nothing consumes the floor's). */
async function waitingJobs(prefix: string, queueName: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    return await redis.llen(`${prefix}:${queueName}:wait`);
  } finally {
    redis.disconnect();
  }
}

async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
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

main().catch((error: unknown) => {
  process.stderr.write(`[ingress bench] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
