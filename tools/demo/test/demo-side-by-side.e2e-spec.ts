import { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';

import { TEST_REDIS_URL, uniqueQueuePrefix, WORKSPACE_ROOT } from '@sm/testing';

import {
  DemoEnv,
  freePortBase,
  holdDemoLock,
  killed,
  runDemo,
  scratchDemoDatabase,
} from './support/demo-processes';

jest.setTimeout(300_000);

/** What `npm start` writes where: tmp/demo/<prefix>, as the demo itself names it. */
const stateDir = (prefix: string) => path.join(WORKSPACE_ROOT, 'tmp/demo', prefix);

describe('two demos on one machine (real npm start entry, Postgres, Redis)', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A demo-1 database with a row of its own, and a session on it as its services hold. */
  async function liveDatabase(): Promise<{
    env: DemoEnv;
    name: string;
    session: Client;
    rows(): Promise<number>;
  }> {
    const database = scratchDemoDatabase();
    const admin = new Client({ connectionString: new URL('/postgres', database.url).toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database.name}"`);
    await admin.end();
    const session = new Client({ connectionString: database.url });
    // Cut off by a demo that drops the database with FORCE: the assertions below say so.
    session.on('error', () => undefined);
    await session.connect();
    await session.query('CREATE TABLE demo_one (id int); INSERT INTO demo_one VALUES (1)');
    cleanups.push(async () => {
      await session.end().catch(() => undefined);
      await database.drop();
    });
    const prefix = uniqueQueuePrefix('demo-2nd');
    cleanups.push(async () => rmSync(stateDir(prefix), { recursive: true, force: true }));
    const env = {
      DEMO_DATABASE_URL: database.url,
      DEMO_QUEUE_PREFIX: prefix,
      DEMO_PORT_BASE: String(await freePortBase()),
      REDIS_URL: TEST_REDIS_URL,
    };
    const rows = async () => {
      const probe = new Client({ connectionString: database.url });
      await probe.connect();
      const result = await probe.query('SELECT count(*)::int AS n FROM demo_one');
      await probe.end();

      return result.rows[0].n as number;
    };

    return { env, name: database.name, session, rows };
  }

  it('refuses a second start on the same database and prefix, resetting nothing', async () => {
    const first = await liveDatabase();
    const holder: ChildProcess = await holdDemoLock(first.env);
    cleanups.push(() => killed(holder, 'SIGKILL'));
    const queue = new Queue('contact-sync', {
      connection: { url: TEST_REDIS_URL },
      prefix: first.env.DEMO_QUEUE_PREFIX,
    });
    cleanups.push(() => queue.close());
    await queue.add('demo-one-job', { locationId: 'L1' });
    const files = {
      'keys/sandbox-ed25519.pem': 'demo one key\n',
      'logs/sync-worker.log': 'demo one log\n',
    };
    const dir = stateDir(first.env.DEMO_QUEUE_PREFIX);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const second = { ...first.env, DEMO_PORT_BASE: String(await freePortBase()) };

    const run = await runDemo(second, ['--once', '--json'], 120_000);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `npm start failed: another demo is using database ${first.name} (held by "sm-demo pid`,
    );
    expect(run.stderr).toContain(
      `and queue prefix ${first.env.DEMO_QUEUE_PREFIX} (held by pid ${holder.pid}`,
    );
    expect(run.stderr).toContain(`DEMO_QUEUE_PREFIX=${first.env.DEMO_QUEUE_PREFIX}-2`);
    expect(run.stderr).not.toContain('▶ resetting');
    expect(await first.rows()).toBe(1);
    expect((await first.session.query('SELECT 1 AS up')).rows).toEqual([{ up: 1 }]);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    for (const [file, text] of Object.entries(files)) {
      expect(readFileSync(path.join(stateDir(first.env.DEMO_QUEUE_PREFIX), file), 'utf8')).toBe(
        text,
      );
    }
  });

  it('refuses a database other sessions are connected to, rather than dropping it', async () => {
    const first = await liveDatabase();
    const backend = (await first.session.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;

    const run = await runDemo(first.env, ['--once'], 120_000);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `has other sessions connected (1 session(s): backend ${backend} ""); the demo drops it`,
    );
    expect(run.stderr).toContain('DEMO_DATABASE_URL');
    expect(run.stderr).not.toContain('▶ resetting');
    expect(await first.rows()).toBe(1);
    expect((await first.session.query('SELECT 1 AS up')).rows).toEqual([{ up: 1 }]);
  });

  it('refuses a busy port with the message alone, and leaves no hold behind', async () => {
    const first = await liveDatabase();
    await first.session.end();
    const base = Number(first.env.DEMO_PORT_BASE);
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(base + 3, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => other.close(() => resolve())));

    const run = await runDemo(first.env, ['--once'], 120_000);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `npm start failed: port ${base + 3} (sync, DEMO_SYNC_PORT) already in use on 127.0.0.1 ` +
        '(another stack running?); stop it, or move the demo with DEMO_PORT_BASE or the ' +
        'variable named\n',
    );
    expect(await first.rows()).toBe(1);
    const redis = new Redis(TEST_REDIS_URL);
    expect(await redis.exists(`${first.env.DEMO_QUEUE_PREFIX}:demo-lock`)).toBe(0);
    await redis.quit();
  });

  it('runs two demos of different settings side by side, each with its keys and logs', async () => {
    const demos = await Promise.all(
      (['a', 'b'] as const).map(async (label) => {
        const database = scratchDemoDatabase();
        const prefix = uniqueQueuePrefix(`demo-${label}`);
        cleanups.push(async () => {
          await database.drop();
          rmSync(stateDir(prefix), { recursive: true, force: true });
        });

        return {
          DEMO_DATABASE_URL: database.url,
          DEMO_QUEUE_PREFIX: prefix,
          DEMO_PORT_BASE: String(await freePortBase()),
          REDIS_URL: TEST_REDIS_URL,
          DEMO_CONTACTS: label === 'a' ? '20' : '30',
        };
      }),
    );
    if (demos[0].DEMO_PORT_BASE === demos[1].DEMO_PORT_BASE) demos[1].DEMO_PORT_BASE += '0';

    const runs = await Promise.all(demos.map((env) => runDemo(env, ['--once', '--json'], 240_000)));

    for (const run of runs) {
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
        code: 0,
        stderr: '',
      });
      expect(JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({
        inSync: true,
      });
    }
    const [a, b] = demos.map((env) => stateDir(env.DEMO_QUEUE_PREFIX));
    expect(readdirSync(path.join(a, 'logs')).sort()).toEqual([
      'auth-service.log',
      'ghl-sandbox.log',
      'notification-service.log',
      'sync-worker.log',
      'webhook-ingress.log',
    ]);
    const key = (dir: string) => readFileSync(path.join(dir, 'keys/sandbox-ed25519.pem'), 'utf8');
    expect(key(a)).toContain('PUBLIC KEY');
    expect(key(a)).not.toBe(key(b));
    // Each log is its own demo's: one sandbox seeded, with that demo's contacts, one first sync.
    const log = (dir: string, app: string) =>
      readFileSync(path.join(dir, `logs/${app}.log`), 'utf8');
    for (const [dir, env] of [
      [a, demos[0]],
      [b, demos[1]],
    ] as const) {
      const seeded = log(dir, 'ghl-sandbox').match(/"contacts":\d+,"ms":\d+,"msg":"seeded"/g);

      expect(seeded).toEqual([expect.stringContaining(`"contacts":${env.DEMO_CONTACTS},`)]);
      expect(log(dir, 'sync-worker').match(/"msg":"location sync finished"/g)).toHaveLength(1);
    }
    const redis = new Redis(TEST_REDIS_URL);
    expect(await redis.exists(`${demos[0].DEMO_QUEUE_PREFIX}:demo-lock`)).toBe(0);
    await redis.quit();
  });
});
