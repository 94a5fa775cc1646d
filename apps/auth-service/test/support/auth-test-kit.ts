import { randomBytes } from 'node:crypto';

import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { listeningPort, startService } from '@sm/platform';
import { freePort, ServiceProcess, startServiceProcess, TEST_REDIS_URL } from '@sm/testing';

import { AppModule } from '../../src/app.module';
import { AuthServiceConfig, authServiceEnv } from '../../src/config/auth-service.config';
import { SANDBOX_APP } from './ghl-sandbox';

export const SERVICE_TOKEN = `svc-${randomBytes(24).toString('hex')}`;

/** A fresh `id:base64` key ring entry. */
export function newKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** The environment of an auth service wired to a test database, queue prefix and GHL stand-in. */
export function authEnv(options: {
  databaseUrl: string;
  queuePrefix: string;
  ghlBaseUrl: string;
  keys: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: options.queuePrefix,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    GHL_API_BASE_URL: options.ghlBaseUrl,
    GHL_AUTHORIZE_URL: `${options.ghlBaseUrl}/v2/oauth/chooselocation`,
    GHL_CLIENT_ID: SANDBOX_APP.clientId,
    GHL_CLIENT_SECRET: SANDBOX_APP.clientSecret,
    GHL_REDIRECT_URI: 'http://127.0.0.1:3001/oauth/callback',
    TOKEN_ENCRYPTION_KEYS: options.keys,
    OAUTH_STATE_SECRET: 'state-secret-'.padEnd(40, 'x'),
    SERVICE_TOKEN,
    ...options.extra,
  };
}

export interface RunningAuthService {
  app: INestApplication;
  url: string;
  config: AuthServiceConfig;
}

/** Boots `AppModule.forRoot(config)` in-process, listening on a free loopback port. */
export async function startAuthService(env: Record<string, string>): Promise<RunningAuthService> {
  const config = loadConfig(authServiceEnv, env);
  const app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });

  return { app, url: `http://127.0.0.1:${listeningPort(app)}`, config };
}

export interface AuthServiceProcess {
  process: ServiceProcess;
  url: string;
}

/**
 * Starts a real auth-service process (`main.ts`) with `env` on a free loopback port, ready once
 * it answers `/health/live`; rejects with what it said when it exits before that.
 */
export async function startAuthServiceProcess(
  env: Record<string, string>,
): Promise<AuthServiceProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await startServiceProcess({
    entry: 'apps/auth-service/src/main.ts',
    env: { ...env, PORT: String(port) },
    readyUrl: `${url}/health/live`,
  });

  return { process, url };
}

/** `GET /oauth/install`: GHL's consent URL, its state, and the cookie it left in the browser. */
export async function startInstall(authUrl: string) {
  const install = await fetch(`${authUrl}/oauth/install`, { redirect: 'manual' });
  const consent = new URL(install.headers.get('location') ?? '');
  const setCookie = install.headers.getSetCookie();

  return {
    consent,
    state: consent.searchParams.get('state') ?? '',
    setCookie,
    cookie: setCookie.map((header) => header.split(';')[0]).join('; '),
  };
}

/**
 * Walks the install flow as a browser would, without following the last redirect. `cookie`: what
 * the browser sends to the callback, by default the cookie `/oauth/install` set (`''`: none).
 */
export async function installThroughConsent(
  authUrl: string,
  options: { deny?: boolean; json?: boolean; locationId?: string; cookie?: string } = {},
): Promise<Response> {
  const { consent, cookie } = await startInstall(authUrl);
  if (options.deny) consent.searchParams.set('deny', '1');
  // The location the person picks on GHL's consent page.
  if (options.locationId) consent.searchParams.set('locationId', options.locationId);
  const back = await fetch(consent, { redirect: 'manual' });
  const callback = new URL(back.headers.get('location') ?? '');
  const sent = options.cookie ?? cookie;

  return fetch(`${authUrl}${callback.pathname}${callback.search}`, {
    headers: {
      accept: options.json === false ? 'text/html' : 'application/json',
      ...(sent ? { cookie: sent } : {}),
    },
  });
}

export function tokenRequest(authUrl: string, locationId: string, forceRefresh = false) {
  return fetch(`${authUrl}/internal/locations/${locationId}/access-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ forceRefresh }),
  });
}

/** The fields the tests read from the service's JSON answers. */
export interface AnswerBody {
  accessToken: string;
  error: string;
  [field: string]: unknown;
}

export async function jsonOf(response: Response): Promise<AnswerBody> {
  return (await response.json()) as AnswerBody;
}

/** The backends that LISTEN for connection change notices in the test database. */
export async function listenerPids(db: DataSource): Promise<number[]> {
  const rows: Array<{ pid: number }> = await db.query(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'LISTEN ghl_connection_changed%'`,
  );

  return rows.map((row) => row.pid);
}
