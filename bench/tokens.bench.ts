// `npm run bench -- tokens`: the auth service's token endpoint at the moment a token expires.
//
// Three auth-service replicas (real processes) share one Postgres and one GHL sandbox. One
// location is installed through the real OAuth flow. Then, in each of three rounds:
//
// 1. Bare: 1,000 concurrent requests to three bare node:http servers that answer a body of the
//    same size: the floor of this client, these sockets and this machine, measured in the run.
// 2. Fresh: 1,000 concurrent token requests spread over the replicas while no refresh is due.
// 3. At expiry: the stored token is moved to expire a second from now, well inside its refresh
//    margin (it is due; the replicas hear of the change from Postgres), and 1,000 concurrent
//    token requests go out at once. Counted: the refreshes that reached the sandbox and the
//    p99 latency.
//
// Afterwards, connections lost: not active, or whose stored refresh token the sandbox no longer
// takes. The figures are the medians of the rounds' p99s; `refreshes` is the most any one
// expiry caused. Progress goes to stderr; the baseline line and then the figures are the last
// lines of stdout.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import { DataSource } from 'typeorm';
import { Pool } from 'undici';

import { Connection, createDataSource } from '@sm/entities';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
  waitForHttp,
} from '@sm/testing';

const LOCATION = 'SMbenchTokensLoc0001';
const REPLICAS = 3;
const REQUESTS = 1_000;
/** Bare, fresh and at-expiry bursts alternate this many times; the figures are the medians. */
const ROUNDS = 3;
/** Sockets per replica: about what three sync-worker processes would hold open. */
const CONNECTIONS_PER_REPLICA = 64;
const SERVICE_TOKEN = `bench-${randomBytes(24).toString('hex')}`;
const CLIENT = { id: 'sandbox-app-client', secret: 'sandbox-app-secret' };
const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';

interface Replica {
  url: string;
  pool: Pool;
}

type Stoppable = { stop: () => Promise<unknown> };

interface Burst {
  latenciesMs: number[];
  statuses: Map<number, number>;
  tokens: Set<string>;
  /** The last answer's body. */
  body: Record<string, unknown>;
}

const progress = (message: string) => process.stderr.write(`tokens: ${message}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const database = await createTestDatabase();
  const db = await createDataSource(database.url).initialize();
  const processes: Stoppable[] = [];
  const pools: Pool[] = [];
  try {
    const sandboxUrl = await startSandbox(processes);
    const replicas: Replica[] = [];
    for (let index = 0; index < REPLICAS; index += 1) {
      replicas.push(await startReplica(database.url, sandboxUrl, processes));
    }
    pools.push(...replicas.map((replica) => replica.pool));
    progress(`${REPLICAS} replicas and the sandbox up in ${Date.now() - started} ms`);
    await install(replicas[0].url);
    const bare = await startBareReplicas(await oneAnswer(replicas[0]), processes);
    pools.push(...bare.map((replica) => replica.pool));
    await burst(bare, 200); // warm-up: JIT, pools, Postgres connections
    await burst(replicas, 200);
    await burstAtExpiry(db, replicas, sandboxUrl); // warm-up of the refresh path, not counted

    const rounds: Array<{ bare: Burst; fresh: Burst; atExpiry: Burst; refreshes: number }> = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const bareRun = await burst(bare, REQUESTS);
      const fresh = await burst(replicas, REQUESTS);
      const { refreshes, atExpiry } = await burstAtExpiry(db, replicas, sandboxUrl);
      rounds.push({ bare: bareRun, fresh, atExpiry, refreshes });
      progress(
        `round ${round}: bare ${summary(bareRun)}; fresh ${summary(fresh)}; ` +
          `at expiry ${summary(atExpiry)}, refreshes ${refreshes}, ` +
          `distinct tokens ${atExpiry.tokens.size}`,
      );
    }

    const lost = await connectionsLost(db, replicas[1], sandboxUrl);
    const p99 = median(rounds.map((round) => percentile(round.atExpiry.latenciesMs, 0.99)));
    const freshP99 = median(rounds.map((round) => percentile(round.fresh.latenciesMs, 0.99)));
    const bareP99 = median(rounds.map((round) => percentile(round.bare.latenciesMs, 0.99)));
    const refreshes = Math.max(...rounds.map((round) => round.refreshes));
    const tokensPerExpiry = Math.max(...rounds.map((round) => round.atExpiry.tokens.size));
    process.stdout.write(
      `tokens baseline: bare_p99_ms=${round(bareP99)} fresh_p99_ms=${round(freshP99)} ` +
        `vs_bare=${(p99 / Math.max(bareP99, 1)).toFixed(2)} tokens_per_expiry=${tokensPerExpiry}\n`,
    );
    process.stdout.write(`tokens: refreshes=${refreshes} p99_ms=${round(p99)} lost=${lost}\n`);
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    await Promise.all(processes.map((child) => child.stop()));
    await db.destroy();
    await database.drop();
  }
}

/** Moves the stored token inside its refresh margin, then sends the burst. */
async function burstAtExpiry(db: DataSource, replicas: Replica[], sandboxUrl: string) {
  const before = await oauthStats(sandboxUrl);
  await db.query(
    `UPDATE ghl_connection_tokens SET access_token_expires_at = now() + interval '1 second'
      WHERE location_id = $1`,
    [LOCATION],
  );
  const atExpiry = await burst(replicas, REQUESTS);
  const after = await oauthStats(sandboxUrl);

  return { atExpiry, refreshes: after.refreshes - before.refreshes };
}

async function startSandbox(processes: Stoppable[]): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  processes.push(
    await startServiceProcess({
      entry: 'apps/ghl-sandbox/src/main.ts',
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        SANDBOX_LOCATIONS: `${LOCATION}:2`,
        SANDBOX_RATE_LIMITS: 'false',
        LOG_LEVEL: 'warn',
      },
      readyUrl: `${url}/health/live`,
    }),
  );

  return url;
}

const KEYS = `k1:${randomBytes(32).toString('base64')}`;
const QUEUE_PREFIX = uniqueQueuePrefix('bench-tokens');

async function startReplica(
  databaseUrl: string,
  sandboxUrl: string,
  processes: Stoppable[],
): Promise<Replica> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startServiceProcess({
    entry: 'apps/auth-service/src/main.ts',
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      GHL_API_BASE_URL: sandboxUrl,
      GHL_AUTHORIZE_URL: `${sandboxUrl}/v2/oauth/chooselocation`,
      GHL_CLIENT_ID: CLIENT.id,
      GHL_CLIENT_SECRET: CLIENT.secret,
      GHL_REDIRECT_URI: REDIRECT_URI,
      TOKEN_ENCRYPTION_KEYS: KEYS,
      OAUTH_STATE_SECRET: randomBytes(24).toString('hex'),
      SERVICE_TOKEN,
    },
    readyUrl: `${url}/health/live`,
  });
  processes.push(child);

  return { url, pool: new Pool(url, { connections: CONNECTIONS_PER_REPLICA }) };
}

/** What a replica answers for the location, its token masked: what the bare servers send. */
async function oneAnswer(replica: Replica): Promise<string> {
  const answer = await burst([replica], 1);
  const [token] = answer.tokens;

  return JSON.stringify({ ...answer.body, accessToken: 'x'.repeat(token.length) });
}

/**
 * The floor: as many bare node:http servers as replicas, each reading the body and answering an
 * answer of the same size, driven by the same client in the same run.
 */
async function startBareReplicas(answer: string, processes: Stoppable[]): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (let index = 0; index < REPLICAS; index += 1) {
    const port = await freePort();
    const child = spawn(process.execPath, ['-e', BARE_SERVER], {
      env: { ...process.env, PORT: String(port), ANSWER: answer },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    processes.push({ stop: () => (child.kill('SIGTERM'), exited) });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(url, 10_000);
    replicas.push({ url, pool: new Pool(url, { connections: CONNECTIONS_PER_REPLICA }) });
  }

  return replicas;
}

const BARE_SERVER = `
const http = require('node:http');
const answer = process.env.ANSWER;
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(answer),
    });
    res.end(answer);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');`;

/** The install flow as a browser walks it: install → consent → callback. */
async function install(authUrl: string): Promise<void> {
  const start = await fetch(`${authUrl}/oauth/install`, { redirect: 'manual' });
  const consent = new URL(start.headers.get('location') ?? '');
  consent.searchParams.set('locationId', LOCATION);
  const back = await fetch(consent, { redirect: 'manual' });
  const callback = new URL(back.headers.get('location') ?? '');
  const done = await fetch(`${authUrl}${callback.pathname}${callback.search}`, {
    headers: { accept: 'application/json' },
  });
  if (done.status !== 200) throw new Error(`install answered ${done.status}`);
}

/** `count` token requests at once, round-robin over the replicas. */
async function burst(replicas: Replica[], count: number, forceRefresh = false): Promise<Burst> {
  const result: Burst = { latenciesMs: [], statuses: new Map(), tokens: new Set(), body: {} };
  const body = JSON.stringify({ forceRefresh });
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const sentAt = performance.now();
      const response = await replicas[index % replicas.length].pool.request({
        method: 'POST',
        path: `/internal/locations/${LOCATION}/access-token`,
        headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
        body,
      });
      const answer = (await response.body.json()) as { accessToken?: string };
      result.latenciesMs.push(performance.now() - sentAt);
      result.body = answer;
      result.statuses.set(response.statusCode, (result.statuses.get(response.statusCode) ?? 0) + 1);
      if (answer.accessToken) result.tokens.add(answer.accessToken);
    }),
  );

  return result;
}

async function oauthStats(sandboxUrl: string) {
  const response = await fetch(`${sandboxUrl}/_sandbox/stats`);
  const stats = (await response.json()) as {
    oauth: { refreshes: number; refreshRejected: number };
  };

  return stats.oauth;
}

/**
 * 0 when the connection is still active, every caller got the same new token, and a forced
 * refresh afterwards (which spends the stored refresh token) is accepted by the sandbox.
 */
async function connectionsLost(db: DataSource, replica: Replica, sandboxUrl: string) {
  const connection = await db.manager.findOneByOrFail(Connection, { locationId: LOCATION });
  const forced = await burst([replica], 1, true);
  progress(`one forced refresh, alone: ${round(forced.latenciesMs[0])} ms`);
  const { refreshRejected } = await oauthStats(sandboxUrl);
  const isAlive =
    connection.status === 'active' && forced.statuses.get(200) === 1 && refreshRejected === 0;

  return isAlive ? 0 : 1;
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function summary(run: Burst): string {
  const statuses = [...run.statuses].map(([status, n]) => `${status}×${n}`).join(' ');
  const p50 = round(percentile(run.latenciesMs, 0.5));

  return `${statuses}, p50 ${p50} ms, p99 ${round(percentile(run.latenciesMs, 0.99))} ms`;
}

function round(value: number): number {
  return Math.round(value);
}

main().catch((error: unknown) => {
  process.stderr.write(`tokens: failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
