import { AddressInfo, Server, Socket, createServer } from 'node:net';

import { DataSource } from 'typeorm';

import { ANSWER_MARGIN_MS, DatabaseTimeouts, dataSourceOptions } from './data-source';

// The test kit depends on this lib, so this spec connects to the test server itself (read-only
// statements on its maintenance database: nothing to create or drop).
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const TIMEOUTS: DatabaseTimeouts = {
  DATABASE_STATEMENT_TIMEOUT_MS: 1_000,
  DATABASE_CONNECT_TIMEOUT_MS: 500,
};

/**
 * The shared data source, its sockets kept: pausing one stops Postgres' answers reaching the
 * client while the connection stays open, as behind a partition.
 */
async function openDataSource(url = serverUrl) {
  const sockets: Socket[] = [];
  const options = dataSourceOptions(url, TIMEOUTS);
  const stream = () => {
    const socket = new Socket();
    sockets.push(socket);

    return socket;
  };
  const dataSource = new DataSource({
    ...options,
    extra: { ...(options.extra as object), stream },
  } as typeof options);

  return { dataSource: await dataSource.initialize(), sockets };
}

async function timed<T>(work: () => Promise<T>): Promise<{ outcome: T | Error; ms: number }> {
  const startedAt = Date.now();
  const outcome = await work().catch((error: Error) => error);

  return { outcome, ms: Date.now() - startedAt };
}

describe('the shared data source on a connection that stops answering', () => {
  let opened: Awaited<ReturnType<typeof openDataSource>>;

  beforeAll(async () => {
    opened = await openDataSource();
  });

  afterAll(async () => {
    await opened.dataSource.destroy();
  });

  it('has Postgres cancel a statement past its timeout, the connection kept', async () => {
    const { dataSource } = opened;
    const [before] = await dataSource.query('SELECT pg_backend_pid() AS pid');

    const slow = await timed(() => dataSource.query('SELECT pg_sleep(5)'));
    const [after] = await dataSource.query('SELECT pg_backend_pid() AS pid');

    expect((slow.outcome as { driverError?: { code?: string } }).driverError?.code).toBe('57014');
    expect(slow.ms).toBeLessThan(3_000);
    expect(after.pid).toBe(before.pid);
  });

  it('gives up on the answer after the statement timeout and margin, and closes it', async () => {
    const { dataSource, sockets } = opened;
    await dataSource.query('SELECT 1');
    for (const socket of sockets) socket.pause();

    const silent = await timed(() => dataSource.query('SELECT 1'));
    const next = await timed(() => dataSource.query('SELECT 2 AS two'));

    const giveUpMs = TIMEOUTS.DATABASE_STATEMENT_TIMEOUT_MS + ANSWER_MARGIN_MS;
    expect((silent.outcome as Error).message).toBe('Query read timeout');
    expect(silent.ms).toBeGreaterThanOrEqual(giveUpMs - 50);
    expect(silent.ms).toBeLessThan(giveUpMs + 2_000);
    // The silent connection is not handed out again: the next query runs on a new one.
    expect(next.outcome).toEqual([{ two: 2 }]);
    expect(next.ms).toBeLessThan(2_000);
    expect(sockets.filter((socket) => !socket.destroyed)).toHaveLength(1);
  }, 20_000);
});

describe('the shared data source on a server that accepts and never answers', () => {
  const accepted: Socket[] = [];
  let server: Server;

  beforeAll(async () => {
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails to connect after the connect timeout', async () => {
    const url = new URL(serverUrl);
    url.port = String((server.address() as AddressInfo).port);

    const attempt = await timed(() => openDataSource(url.toString()));

    expect(attempt.outcome).toBeInstanceOf(Error);
    expect(attempt.ms).toBeLessThan(TIMEOUTS.DATABASE_CONNECT_TIMEOUT_MS + 1_000);
  });
});
