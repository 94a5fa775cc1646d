import { DataSource } from 'typeorm';

import { eventually } from '@sm/testing';

import { InstalledAuth, startInstalledAuth } from './support/auth-stack';
import {
  jsonOf,
  listenerPids,
  RunningAuthService,
  startAuthService,
  tokenRequest,
} from './support/auth-test-kit';
import { GhlSandbox } from './support/ghl-sandbox';

const LOCATION = 'SMstalenessLocation1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The tokens two replicas keep in memory against changes made elsewhere: in SQL, by the other
 * replica, and while their notice connections come and go.
 */
describe('tokens kept in memory, against changes made elsewhere', () => {
  let world: InstalledAuth;
  let db: DataSource;
  let ghl: GhlSandbox;
  let replicas: RunningAuthService[];
  let env: Record<string, string>;
  const setStatus = (status: string) =>
    db.query('UPDATE ghl_connections SET status = $1 WHERE location_id = $2', [status, LOCATION]);
  const statuses = () =>
    Promise.all(
      replicas.map(async (replica) => (await tokenRequest(replica.url, LOCATION)).status),
    );
  const listening = (count: number) =>
    eventually(async () => {
      const pids = await listenerPids(db);
      return pids.length === count ? pids : undefined;
    });

  beforeAll(async () => {
    world = await startInstalledAuth({
      locationId: LOCATION,
      queueName: 'auth-staleness',
      replicas: 2,
    });
    ({ db, ghl, env, replicas } = world);
  });

  afterAll(() => world?.stop());

  it('a change committed in SQL is seen by the very next request, every time', async () => {
    // The notice reaches a replica on a connection of its own: without waiting for it, about
    // one request in forty right after the commit was still answered from memory.
    const answered: number[] = [];
    for (let round = 0; round < 100; round += 1) {
      const url = replicas[round % 2].url;
      answered.push((await tokenRequest(url, LOCATION)).status);
      await setStatus('paused');
      answered.push((await tokenRequest(url, LOCATION)).status);
      await setStatus('active');
    }

    expect(answered).toEqual(Array.from({ length: 200 }, (_, at) => (at % 2 ? 409 : 200)));
  });

  it('a token row moved to another location id in SQL is gone for the id it left', async () => {
    expect(await statuses()).toEqual([200, 200]);

    await db.query(
      `UPDATE ghl_connection_tokens SET location_id = 'SMmovedAway' WHERE location_id = $1`,
      [LOCATION],
    );
    const moved = await statuses();
    await db.query(
      `UPDATE ghl_connection_tokens SET location_id = $1 WHERE location_id = 'SMmovedAway'`,
      [LOCATION],
    );

    expect(moved).toEqual([404, 404]);
    expect(await statuses()).toEqual([200, 200]);
  });

  it('changes raced against the notice connection reconnecting are never kept', async () => {
    const wrong: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      const pids = await listening(2);
      expect(await statuses()).toEqual([200, 200]);
      await db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [pids]);
      // Through the reconnect: its 100 ms delay, then the connect and the LISTEN.
      await sleep(round * 40);
      for (let step = 0; step < 8; step += 1) {
        const status = step % 2 ? 'active' : 'paused';
        await setStatus(status);
        await sleep(20);
        const got = await statuses();
        const want = status === 'active' ? 200 : 409;
        if (got.some((answer) => answer !== want)) wrong.push(`${round}.${step}: ${got}`);
      }
    }

    expect(wrong).toEqual([]);
  });

  it.each([1, 2, 3])(
    'forceRefresh from 60 callers at once on two replicas (%i): one refresh, one token',
    async () => {
      await listening(2);
      // Sockets open beforehand: the 60 requests all arrive before the refresh is handed out.
      // (A forced request arriving after a new token went out may be for that token, and so
      // refreshes again.)
      await Promise.all(
        Array.from({ length: 60 }, (_, at) => tokenRequest(replicas[at % 2].url, LOCATION)),
      );
      const before = (await ghl.stats()).oauth.refreshes;

      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, at) => tokenRequest(replicas[at % 2].url, LOCATION, true)),
      );
      const tokens = new Set(
        await Promise.all(answers.map(async (answer) => (await jsonOf(answer)).accessToken)),
      );

      expect(answers.map((answer) => answer.status)).toEqual(Array(60).fill(200));
      expect((await ghl.stats()).oauth.refreshes - before).toBe(1);
      expect(tokens.size).toBe(1);
      expect(await ghl.accepts([...tokens][0], LOCATION)).toBe(true);
      const [row] = await db.query('SELECT status FROM ghl_connections WHERE location_id = $1', [
        LOCATION,
      ]);
      expect(row.status).toBe('active');
    },
  );

  it('a replica closed while its notice connection reconnects leaves none open', async () => {
    const third = await startAuthService(env);
    const pids = await listening(3);
    const others = await listenerPids(db);
    expect(others).toHaveLength(3);

    // Only the third replica's connection: the one opened last.
    const rows: Array<{ pid: number }> = await db.query(
      `SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])
        ORDER BY backend_start DESC LIMIT 1`,
      [pids],
    );
    await db.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await sleep(20);
    await third.app.close();
    await sleep(700);

    expect(await listenerPids(db)).toHaveLength(2);
  });
});
