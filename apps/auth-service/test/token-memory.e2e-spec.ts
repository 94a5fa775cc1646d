import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

import {
  InstalledAuth,
  RunningAuthService,
  startInstalledAuth,
  tokenRequest,
} from './support/auth-test-kit';
import { storedPair } from './support/ghl-sandbox';

const LOCATION = 'SMtokenMemoryLoc0001';

async function heapText(): Promise<string> {
  const file = writeHeapSnapshot(path.join(tmpdir(), `auth-memory-${process.pid}.heapsnapshot`));
  const heap = await readFile(file, 'utf8');
  await rm(file);

  return heap;
}

/** docs/security.md: a refresh token is in the clear only for the call that uses it. */
describe('what the auth service keeps in memory', () => {
  let world: InstalledAuth;
  let auth: RunningAuthService;

  beforeAll(async () => {
    world = await startInstalledAuth({ locationId: LOCATION, queueName: 'auth-memory' });
    [auth] = world.replicas;
  });

  afterAll(() => world?.stop());

  it('the kept token read holds the access token, never the refresh token', async () => {
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);
    // A forced refresh too: what it wrote replaces what was kept.
    expect((await tokenRequest(auth.url, LOCATION, true)).status).toBe(200);
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);

    // The service runs in this process: its heap is ours. The test opens the stored pair only
    // after the snapshots, so that its own copy is not in them. Work still finishing when a
    // snapshot is taken (the refresh's write, its schedule) may hold the token for that moment,
    // which docs/security.md allows; a token the service keeps is in every snapshot.
    const heaps: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, attempt * 500));
      heaps.push(await heapText());
    }
    const stored = await storedPair(world.db, world.keys, LOCATION);

    expect(heaps.every((heap) => heap.includes(stored.accessToken))).toBe(true);
    expect(stored.refreshToken).toEqual(expect.any(String));
    const holding = heaps.map((heap) => heap.includes(stored.refreshToken ?? ''));
    expect(holding).toContain(false);
  });
});
