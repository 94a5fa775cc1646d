import { INestApplication } from '@nestjs/common';
import { createServer, IncomingMessage, Server } from 'node:http';

import { loadConfig } from '@sm/config';
import { listeningPort, startService } from '@sm/platform';

import { AppModule } from '../src/app.module';
import { sandboxConfigSchema } from '../src/config/sandbox.config';

export const LOCATION_ID = 'SMsandboxLocation001';
export const CLIENT_ID = 'sandbox-app-client';
export const CLIENT_SECRET = 'sandbox-app-secret';
export const REDIRECT_URI = 'http://127.0.0.1:1/oauth/callback';

/** A JSON answer read loosely: the contract test checks shapes against GHL's schemas instead. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = Record<string, any>;

export interface Sandbox {
  app: INestApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** Boots the sandbox in this process on a free loopback port. */
export async function startSandbox(env: Record<string, string> = {}): Promise<Sandbox> {
  const config = loadConfig(sandboxConfigSchema, { LOG_LEVEL: 'silent', PORT: '0', ...env });
  const app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${listeningPort(app)}`;

  return { app, baseUrl, close: () => app.close() };
}

/** Runs the headless consent and returns the authorization code. */
export async function authorize(baseUrl: string, query: Record<string, string> = {}) {
  const url = new URL('/oauth/chooselocation', baseUrl);
  const params = { response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI };
  for (const [key, value] of Object.entries({ ...params, ...query })) {
    url.searchParams.set(key, value);
  }
  const response = await fetch(url, { redirect: 'manual' });

  return new URL(response.headers.get('location') as string);
}

export async function tokenRequest(baseUrl: string, fields: Record<string, string>) {
  const response = await fetch(new URL('/oauth/token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...fields }),
  });

  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A Location access token with the given scopes (all of the app's by default). */
export async function locationToken(
  baseUrl: string,
  query: Record<string, string> = {},
): Promise<{ accessToken: string; refreshToken: string }> {
  const redirect = await authorize(baseUrl, query);
  const { body } = await tokenRequest(baseUrl, {
    grant_type: 'authorization_code',
    code: redirect.searchParams.get('code') as string,
    redirect_uri: REDIRECT_URI,
  });

  return { accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
}

/** Calls the GHL surface with GHL's headers. */
export async function ghl(
  baseUrl: string,
  token: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(new URL(path, baseUrl), {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      version: '2021-07-28',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();

  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as JsonBody) : undefined,
  };
}

export async function control(baseUrl: string, method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

  return { status: response.status, body: (await response.json()) as JsonBody };
}

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  raw: Buffer;
}

/** A loopback webhook receiver that keeps the raw bytes of every delivery. */
export async function startReceiver(status = 200) {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, raw: Buffer.concat(chunks) });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/webhooks/ghl`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
