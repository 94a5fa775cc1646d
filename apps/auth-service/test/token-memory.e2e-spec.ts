import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

import { DataSource } from 'typeorm';

import { createDataSource } from '@sm/entities';
import { createTestDatabase, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import {
  authEnv,
  installThroughConsent,
  newKey,
  RunningAuthService,
  startAuthService,
  tokenRequest,
} from './support/auth-test-kit';
import { GhlSandbox, storedPair } from './support/ghl-sandbox';

const LOCATION = 'SMtokenMemoryLoc0001';

/** docs/security.md: a refresh token is in the clear only for the call that uses it. */
describe('what the auth service keeps in memory', () => {
  let database: TestDatabase;
  let db: DataSource;
  let ghl: GhlSandbox;
  let auth: RunningAuthService;
  const keys = newKey('k1');

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    ghl = await GhlSandbox.start([LOCATION]);
    auth = await startAuthService(
      authEnv({
        databaseUrl: database.url,
        queuePrefix: uniqueQueuePrefix('auth-memory'),
        ghlBaseUrl: ghl.url,
        keys,
      }),
    );
    expect((await installThroughConsent(auth.url, { locationId: LOCATION })).status).toBe(200);
  });

  afterAll(async () => {
    await auth?.app.close();
    await Promise.all([ghl?.stop(), db?.destroy()]);
    await database?.drop();
  });

  it('the kept token read holds the access token, never the refresh token', async () => {
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);
    // A forced refresh too: what it wrote replaces what was kept.
    expect((await tokenRequest(auth.url, LOCATION, true)).status).toBe(200);
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);

    // The service runs in this process: its heap is ours. The test opens the stored pair only
    // after the snapshot, so that its own copy is not in it.
    const file = writeHeapSnapshot(path.join(tmpdir(), `auth-memory-${process.pid}.heapsnapshot`));
    const heap = await readFile(file, 'utf8');
    await rm(file);
    const stored = await storedPair(db, keys, LOCATION);

    expect(heap.includes(stored.accessToken)).toBe(true);
    expect(stored.refreshToken).toEqual(expect.any(String));
    expect(heap.includes(stored.refreshToken ?? '')).toBe(false);
  });
});
