import { ChildProcess } from 'node:child_process';

import { TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import {
  DemoEnv,
  freePortBase,
  holdDemoLock,
  killed,
  scratchDemoDatabase,
} from '../test/support/demo-processes';
import { DemoIdentity, lockDemo } from './demo-lock';
import { DemoRefusedError } from './demo-refused.error';
import { demoPorts } from './demo-ports';

jest.setTimeout(60_000);

describe("the demo's lock on its database and queue prefix", () => {
  const holders: ChildProcess[] = [];

  afterEach(async () => {
    await Promise.all(holders.splice(0).map((holder) => killed(holder, 'SIGKILL')));
  });

  async function settings(): Promise<DemoEnv> {
    return {
      DEMO_DATABASE_URL: scratchDemoDatabase().url,
      DEMO_QUEUE_PREFIX: uniqueQueuePrefix('demo-lock'),
      DEMO_PORT_BASE: String(await freePortBase()),
      REDIS_URL: TEST_REDIS_URL,
    };
  }

  const identity = (env: DemoEnv): DemoIdentity => ({
    databaseUrl: env.DEMO_DATABASE_URL,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.DEMO_QUEUE_PREFIX,
    ports: demoPorts({ DEMO_PORT_BASE: env.DEMO_PORT_BASE }),
  });

  it('refuses a second demo on the same settings, naming both holds and the way out', async () => {
    const first = await settings();
    const holder = await holdDemoLock(first);
    holders.push(holder);
    const second = { ...identity(first), ports: demoPorts({ DEMO_PORT_BASE: '31000' }) };
    const database = new URL(first.DEMO_DATABASE_URL).pathname.slice(1);

    const refusal = lockDemo(second);

    await expect(refusal).rejects.toThrow(DemoRefusedError);
    await expect(refusal).rejects.toThrow(
      new RegExp(
        `another demo is using database ${database} \\(held by "sm-demo pid ${holder.pid} ` +
          `sync :${Number(first.DEMO_PORT_BASE) + 3}" since [^)]+\\), and queue prefix ` +
          `${first.DEMO_QUEUE_PREFIX} \\(held by pid ${holder.pid} on this machine, ` +
          `sync worker on :${Number(first.DEMO_PORT_BASE) + 3}, since [^)]+\\); nothing was reset`,
      ),
    );
    await expect(refusal).rejects.toThrow(
      `DEMO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/${database}_2 ` +
        `DEMO_QUEUE_PREFIX=${first.DEMO_QUEUE_PREFIX}-2 DEMO_PORT_BASE=32000 npm start`,
    );
  });

  it('holds the database and the prefix each on its own: sharing either is refused', async () => {
    const first = await settings();
    holders.push(await holdDemoLock(first));
    const other = await settings();

    const sameDatabase = lockDemo({ ...identity(other), databaseUrl: first.DEMO_DATABASE_URL });
    const samePrefix = lockDemo({ ...identity(other), queuePrefix: first.DEMO_QUEUE_PREFIX });

    await expect(sameDatabase).rejects.toThrow(/using database \S+ \(held by [^;]+\); nothing/);
    await expect(samePrefix).rejects.toThrow(/using queue prefix \S+ \(held by [^;]+\); nothing/);
    const apart = await lockDemo(identity(other));
    await apart.release();
  });

  it('takes over the holds of a demo killed with SIGKILL, and then holds them itself', async () => {
    const first = await settings();
    const holder = await holdDemoLock(first);

    await killed(holder, 'SIGKILL');
    const next = await lockDemo(identity(first));

    try {
      const third = lockDemo(identity(first));

      await expect(third).rejects.toThrow(`(held by "sm-demo pid ${process.pid} sync :`);
      await expect(third).rejects.toThrow(
        `queue prefix ${first.DEMO_QUEUE_PREFIX} (held by pid ${process.pid} on this machine`,
      );
    } finally {
      await next.release();
    }
    const afterRelease = await lockDemo(identity(first));
    await afterRelease.release();
  });
});
