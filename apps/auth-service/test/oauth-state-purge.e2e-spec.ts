import { DataSource } from 'typeorm';

import { createDataSource } from '@sm/entities';
import { createTestDatabase, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import { authEnv, newKey, RunningAuthService, startAuthService } from './support/auth-test-kit';

/**
 * `oauth_states` stays small: long-expired states are deleted, at a cost a flood of
 * `/oauth/install` cannot raise, and a start writes no row at all.
 */
describe('the purge of expired OAuth states', () => {
  let database: TestDatabase;
  let db: DataSource;
  let auth: RunningAuthService;

  const insertState = (nonce: string, age: string) =>
    db.query(`INSERT INTO oauth_states (nonce, expires_at) VALUES ($1, now() - $2::interval)`, [
      nonce,
      age,
    ]);
  const present = async (nonces: string[]): Promise<string[]> => {
    const rows: Array<{ nonce: string }> = await db.query(
      'SELECT nonce FROM oauth_states WHERE nonce = ANY($1) ORDER BY nonce',
      [nonces],
    );

    return rows.map((row) => row.nonce);
  };
  const startInstall = () => fetch(`${auth.url}/oauth/install`, { redirect: 'manual' });

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDataSource(database.url).initialize();
    auth = await startAuthService(
      authEnv({
        databaseUrl: database.url,
        queuePrefix: uniqueQueuePrefix('auth-purge'),
        // Nothing here reaches GHL: the install only redirects to its consent page.
        ghlBaseUrl: 'http://127.0.0.1:9',
        keys: newKey('k1'),
      }),
    );
  });

  afterAll(async () => {
    await auth?.app.close();
    await db?.destroy();
    await database?.drop();
  });

  it("a process's first state deletes the states expired over an hour ago, only them", async () => {
    await insertState('long-expired', '2 hours');
    await insertState('just-expired', '1 minute');

    expect((await startInstall()).status).toBe(302);

    expect(await present(['long-expired', 'just-expired'])).toEqual(['just-expired']);
  });

  it('a flood of install starts does not scan the table once each: once a minute', async () => {
    // Without an index on expires_at each DELETE reads every row: 400,000 rows (an hour of
    // about 100 install starts a second) cost 27 ms of Postgres per start against 0.7 ms for
    // the insert.
    await insertState('expired-meanwhile', '2 hours');

    const answers = await Promise.all(Array.from({ length: 30 }, () => startInstall()));

    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(302));
    expect(await present(['expired-meanwhile'])).toEqual(['expired-meanwhile']);
  });

  it('an install start writes no row: the public endpoint cannot grow the table', async () => {
    const before = await rowCount();

    const answers = await Promise.all(Array.from({ length: 200 }, () => startInstall()));

    expect(answers.map((answer) => answer.status)).toEqual(Array(200).fill(302));
    expect(await rowCount()).toBe(before);
  });

  it('a callback spends its state once, also one an older version stored unconsumed', async () => {
    const fresh = await startedState();
    const stored = await startedState();
    // An older version wrote a row, unconsumed, when it issued a state.
    await db.query(`INSERT INTO oauth_states (nonce, expires_at) VALUES ($1, now() + '5 min')`, [
      stored.state.split('.')[0],
    ]);

    const errors = [];
    for (const started of [fresh, stored, fresh, stored]) errors.push(await callbackError(started));

    // Both get past the state to the code exchange (GHL is unreachable here) once, then not.
    expect(errors).toEqual(['ghl_unavailable', 'ghl_unavailable', 'state_reused', 'state_reused']);
  });

  const rowCount = async () =>
    Number((await db.query('SELECT count(*) AS n FROM oauth_states'))[0].n as string);

  /** An install started in a browser: its state and the cookie that binds it. */
  async function startedState(): Promise<{ state: string; cookie: string }> {
    const answer = await startInstall();
    const state = new URL(answer.headers.get('location') as string).searchParams.get('state');
    const cookie = (answer.headers.getSetCookie()[0] ?? '').split(';')[0];

    return { state: state as string, cookie };
  }

  async function callbackError(started: { state: string; cookie: string }): Promise<string> {
    const query = new URLSearchParams({ code: 'a-code', state: started.state });
    const answer = await fetch(`${auth.url}/oauth/callback?${query}`, {
      headers: { accept: 'application/json', cookie: started.cookie },
    });

    return ((await answer.json()) as { error: string }).error;
  }
});
