// `npm run bench -- tokens`: the auth service's token endpoint at the moment a token expires.
//
// Three auth-service replicas (real processes) share one Postgres and one GHL sandbox. One
// location is installed through the real OAuth flow. Then, in the same run:
//
// 1. Baseline: 1,000 concurrent token requests spread over the replicas while the token is
//    fresh (no refresh due): what the endpoint costs on this machine.
// 2. Subject: the stored token is moved inside its refresh margin (it is due), and 1,000
//    concurrent token requests go out at once. Counted: the refreshes that reached the sandbox,
//    the p99 latency, and connections lost (not active afterwards, or whose stored refresh
//    token the sandbox no longer takes).
//
// Progress goes to stderr; the baseline line and then the figures are the last lines of stdout.
import { randomBytes } from 'node:crypto';

import { DataSource } from 'typeorm';
import { Pool } from 'undici';

import { Connection, createDataSource } from '@sm/entities';
import {
  createTestDatabase,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '@sm/testing';

const LOCATION = 'SMbenchTokensLoc0001';
const REPLICAS = 3;
const REQUESTS = 1_000;
/** Sockets per replica: about what three sync-worker processes would hold open. */
const CONNECTIONS_PER_REPLICA = 64;
const SERVICE_TOKEN = `bench-${randomBytes(24).toString('hex')}`;
const CLIENT = { id: 'sandbox-app-client', secret: 'sandbox-app-secret' };
const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';

interface Replica {
  process: ServiceProcess;
  url: string;
  pool: Pool;
}

interface Burst {
  latenciesMs: number[];
  statuses: Map<number, number>;
  tokens: Set<string>;
}

const progress = (message: string) => process.stderr.write(`tokens: ${message}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const database = await createTestDatabase();
  const db = await createDataSource(database.url).initialize();
  const processes: ServiceProcess[] = [];
  const replicas: Replica[] = [];
  try {
    const sandboxUrl = await startSandbox(processes);
    for (let index = 0; index < REPLICAS; index += 1) {
      replicas.push(await startReplica(database.url, sandboxUrl, processes));
    }
    progress(`${REPLICAS} replicas and the sandbox up in ${Date.now() - started} ms`);
    await install(replicas[0].url);
    await burst(replicas, 200); // warm-up: JIT, pools, Postgres connections

    const baseline = await burst(replicas, REQUESTS);
    progress(`baseline (no refresh due): ${summary(baseline)}`);

    const before = await oauthStats(sandboxUrl);
    await db.query(
      `UPDATE ghl_connection_tokens SET access_token_expires_at = now() + interval '1 second'
        WHERE location_id = $1`,
      [LOCATION],
    );
    const atExpiry = await burst(replicas, REQUESTS);
    const after = await oauthStats(sandboxUrl);
    progress(`at expiry: ${summary(atExpiry)}`);

    const refreshes = after.refreshes - before.refreshes;
    const lost = await connectionsLost(db, replicas[1], sandboxUrl);
    const p99 = percentile(atExpiry.latenciesMs, 0.99);
    const baseP99 = percentile(baseline.latenciesMs, 0.99);
    progress(`distinct tokens handed out at expiry: ${atExpiry.tokens.size}`);
    process.stdout.write(
      `tokens baseline: p99_ms=${round(baseP99)} ` +
        `ratio=${(p99 / Math.max(baseP99, 1)).toFixed(2)}\n`,
    );
    process.stdout.write(`tokens: refreshes=${refreshes} p99_ms=${round(p99)} lost=${lost}\n`);
  } finally {
    await Promise.all(replicas.map((replica) => replica.pool.close()));
    await Promise.all(processes.map((child) => child.stop()));
    await db.destroy();
    await database.drop();
  }
}

async function startSandbox(processes: ServiceProcess[]): Promise<string> {
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
  processes: ServiceProcess[],
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

  return { process: child, url, pool: new Pool(url, { connections: CONNECTIONS_PER_REPLICA }) };
}

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
  const result: Burst = { latenciesMs: [], statuses: new Map(), tokens: new Set() };
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
  const { refreshRejected } = await oauthStats(sandboxUrl);
  const isAlive =
    connection.status === 'active' && forced.statuses.get(200) === 1 && refreshRejected === 0;

  return isAlive ? 0 : 1;
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? 0;
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
