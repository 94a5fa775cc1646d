import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

import { Client } from 'pg';

import { NOTICE_RECONNECT_DELAYS_MS, PostgresNoticeListener } from './postgres-notice-listener';

// The test kit depends on this lib, so this spec brings the little of it that it needs.
const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TIMEOUTS = { DATABASE_STATEMENT_TIMEOUT_MS: 5_000, DATABASE_CONNECT_TIMEOUT_MS: 2_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(isDone: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** What a listener told its owner and wrote to its log, in order. */
class Owner {
  readonly events: string[] = [];
  readonly lines: string[] = [];
  readonly logger = {
    log: (message: unknown) => this.lines.push(JSON.stringify(message)),
    warn: (fields: unknown, message: unknown) => this.lines.push(JSON.stringify([fields, message])),
  };

  count(event: string): number {
    return this.events.filter((seen) => seen === event).length;
  }
}

describe('PostgresNoticeListener', () => {
  let admin: Client;
  let listener: PostgresNoticeListener | undefined;
  let owner: Owner;
  // Names of this file's own, so that listeners of parallel tests are never touched.
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const channel = `sm_notice_spec_${suffix}`;
  const applicationName = `notice listener spec ${suffix}`;
  const label = 'spec notices';

  const listen = async (databaseUrl = TEST_POSTGRES_URL) => {
    const config = { ...TIMEOUTS, DATABASE_URL: databaseUrl };
    listener = new PostgresNoticeListener(
      config,
      { channel, applicationName, label },
      {
        logger: owner.logger,
        onNotice: (payload) => owner.events.push(`notice ${payload}`),
        onListening: () => owner.events.push('listening'),
        onLost: () => owner.events.push('lost'),
      },
    );
    await listener.start();

    return listener;
  };
  const backends = async (): Promise<number[]> => {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );

    return rows.map((row) => row.pid);
  };
  const notify = (payload: string) => admin.query('SELECT pg_notify($1, $2)', [channel, payload]);

  beforeAll(async () => {
    admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
  });

  beforeEach(() => {
    owner = new Owner();
  });

  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
  });

  afterAll(async () => {
    await admin.end();
  });

  it('tells its owner of each notice on its channel, and of its listening', async () => {
    await listen();

    await notify('SMlocationA');
    await notify('SMlocationB');
    await admin.query(`NOTIFY sm_notice_spec_other_${suffix}, 'SMlocationC'`);
    await listener?.listenAgain(1_000);

    expect(owner.events).toEqual(['listening', 'notice SMlocationA', 'notice SMlocationB']);
    expect(await backends()).toHaveLength(1);
  });

  it('reconnects after its backend is ended, tells its owner, hears notices again', async () => {
    await listen();
    const [first] = await backends();

    await admin.query('SELECT pg_terminate_backend($1)', [first]);
    await until(() => owner.count('listening') === 2);
    await notify('SMafterReconnect');
    await listener?.listenAgain(1_000);

    expect(owner.events).toEqual(['listening', 'lost', 'listening', 'notice SMafterReconnect']);
    const again = await backends();
    expect(again).toHaveLength(1);
    expect(again).not.toContain(first);
    expect(owner.lines[0]).toContain(`"retryInMs":${NOTICE_RECONNECT_DELAYS_MS[0]}`);
    expect(owner.lines[1]).toBe('"spec notices back"');
  });

  it('after stop(), closes its connection, tells nothing and does not reconnect', async () => {
    const stopped = await listen();

    await stopped.stop();
    await notify('SMafterStop');
    await sleep(NOTICE_RECONNECT_DELAYS_MS[0] * 3);

    expect(await backends()).toEqual([]);
    expect(owner.events).toEqual(['listening']);
    await expect(stopped.listenAgain(1_000)).rejects.toThrow('no notice connection');
  });

  it('keeps trying a database it cannot reach, backing off, and logs no password', async () => {
    const port = await closedPort();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const unreachable = `postgres://sm:${password}@127.0.0.1:${port}/postgres`;

    await listen(unreachable);
    await until(() => owner.lines.length >= 2);
    const tries = owner.lines.length;
    await listener?.stop();
    await sleep(NOTICE_RECONNECT_DELAYS_MS[2] + 200);

    expect(owner.lines[0]).toContain(`"retryInMs":${NOTICE_RECONNECT_DELAYS_MS[0]}`);
    expect(owner.lines[1]).toContain(`"retryInMs":${NOTICE_RECONNECT_DELAYS_MS[1]}`);
    expect(owner.lines[0]).toContain('ECONNREFUSED');
    expect(owner.lines.join('\n')).not.toContain(password);
    expect(owner.lines).toHaveLength(tries);
    expect(owner.events).not.toContain('listening');
  });
});
