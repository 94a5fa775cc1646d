import { createServer, Server } from 'node:http';

import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';

import type { GhlContact } from '@sm/ghl-client';

import { RecordWriter } from '../../src/records/record-writer.service';
import type { RecordRow } from '../../src/records/record-mappers';
import type { ChildKind } from '../../src/records/record-tables';
import { SyncWorkerStack } from '../support/sync-worker-stack';

export const SERVICE_TOKEN = 'read-api-e2e-service-token-0123456789';

export interface ApiKeySpec {
  name: string;
  key: string;
  locations: string[];
}

/** A stand-in for GHL's `GET /contacts/:contactId`, on loopback, answering what a test set. */
export interface FakeGhl {
  url: string;
  contacts: Map<string, GhlContact>;
  /** Every path GHL was asked for, in order: the calls spent from the location's budget. */
  requested: string[];
  close(): Promise<void>;
}

export async function startFakeGhl(): Promise<FakeGhl> {
  const contacts = new Map<string, GhlContact>();
  const requested: string[] = [];
  const server: Server = createServer((request, response) => {
    requested.push(request.url ?? '');
    const match = /^\/contacts\/([^/?]+)$/.exec(request.url ?? '');
    const contact = match ? contacts.get(decodeURIComponent(match[1])) : undefined;
    response.setHeader('content-type', 'application/json');
    if (!contact || request.method !== 'GET') {
      response.statusCode = 404;
      response.end(JSON.stringify({ statusCode: 404, message: 'Contact not found' }));

      return;
    }
    response.end(JSON.stringify({ contact }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    contacts,
    requested,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A JSON answer; tests read its fields as the API documents them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer = { status: number; body: any; headers: Headers };

export interface ReadApiStack {
  url: string;
  app: INestApplication;
  dataSource: DataSource;
  ghl: FakeGhl;
  /** Writes rows through the sync engine's own writer, in one transaction. */
  writeContacts(rows: RecordRow[]): Promise<void>;
  writeChildren(kind: ChildKind, rows: RecordRow[]): Promise<void>;
  get(path: string, key?: string): Promise<Answer>;
  send(method: string, path: string, body: unknown, token: string): Promise<Answer>;
  stop(): Promise<void>;
}

/** The sync worker in-process, on a scratch database and queue prefix, with read API keys. */
export async function startReadApiStack(keys: ApiKeySpec[]): Promise<ReadApiStack> {
  const ghl = await startFakeGhl();
  const stack = await new SyncWorkerStack({
    name: 'read-api',
    serviceToken: SERVICE_TOKEN,
    ghlUrl: ghl.url,
    env: {
      LOG_LEVEL: process.env.READ_API_TEST_LOG ?? 'silent',
      OUTBOX_POLL_MS: '50',
      READ_API_KEYS: JSON.stringify(keys),
    },
    overrides: { tokenProvider: { getAccessToken: async () => 'fake-ghl-access-token' } },
  }).start();
  const { app, url, dataSource } = stack;
  const writer = app.get(RecordWriter);
  const answer = async (response: Response) => ({
    status: response.status,
    headers: response.headers,
    body: response.headers.get('content-type')?.includes('json') ? await response.json() : null,
  });

  return {
    url,
    app,
    dataSource,
    ghl,
    writeContacts: async (rows) => {
      await writer.transaction((manager) => writer.upsertContacts(manager, rows));
    },
    writeChildren: async (kind, rows) => {
      await writer.transaction((manager) => writer.upsertChildren(manager, kind, rows));
    },
    get: async (path, key) =>
      answer(
        await fetch(`${url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }),
      ),
    send: async (method, path, body, token) =>
      answer(
        await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      ),
    stop: async () => {
      await stack.stop();
      await ghl.close();
    },
  };
}
