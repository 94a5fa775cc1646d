import { DataSource } from 'typeorm';

import { eventually, freePort, ServiceProcess, startServiceProcess } from '@sm/testing';
import { TEST_POSTGRES_URL, uniqueQueuePrefix } from '@sm/testing';

import { createScratchDatabase, ScratchDatabase } from './support/scratch-database';
import { workerEnv } from './support/worker-env';

const POLL_MS = 200;

interface LogLine {
  level: string;
  context?: string;
  msg: string;
  failingForMs?: number;
  failedPolls?: number;
}

/**
 * The outbox relay's log through a Postgres outage: a real sync-worker process polling every
 * 200 ms, its scratch database made to refuse connections (the shared server stays up), its
 * output read as the JSON lines it writes.
 */
describe('the outbox relay while Postgres refuses connections', () => {
  let database: ScratchDatabase;
  let worker: ServiceProcess;
  let admin: DataSource;
  let databaseName: string;

  /** What the relay logged at `level`. */
  const relayLines = (level: 'info' | 'warn'): LogLine[] =>
    worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.context === 'OutboxRelay' && line.level === level);
  const warnings = () => relayLines('warn');

  const allowConnections = async (isAllowed: boolean) => {
    await admin.query(`ALTER DATABASE "${databaseName}" WITH ALLOW_CONNECTIONS ${isAllowed}`);
  };

  beforeAll(async () => {
    database = await createScratchDatabase();
    databaseName = new URL(database.url).pathname.slice(1);
    admin = await new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL }).initialize();
    const port = await freePort();
    const setup = {
      databaseUrl: database.url,
      queuePrefix: uniqueQueuePrefix('outbox-outage'),
      serviceToken: 'outbox-outage-service-token'.padEnd(40, 'x'),
      port,
    };
    worker = await startServiceProcess({
      entry: 'apps/sync-worker/src/main.ts',
      env: workerEnv(setup, { LOG_LEVEL: 'info', OUTBOX_POLL_MS: String(POLL_MS) }),
      readyUrl: `http://127.0.0.1:${port}/health/live`,
      timeoutMs: 60_000,
    });
    // A few polls that succeed before the outage.
    await new Promise((resolve) => setTimeout(resolve, 5 * POLL_MS));
    expect(warnings()).toEqual([]);
  }, 90_000);

  afterAll(async () => {
    if (admin?.isInitialized) {
      await allowConnections(true);
      await admin.destroy();
    }
    await worker?.stop();
    await database?.drop();
  });

  it('warns once when its polls start failing, not on each of them', async () => {
    await allowConnections(false);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      databaseName,
    ]);

    await eventually(async () => (warnings().length > 0 ? true : undefined), 10_000, 'a warn');
    // About 20 polls at 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    expect(warnings().map((line) => line.msg)).toEqual(['outbox relay polls failing']);
  }, 20_000);

  it('says once, at info, that its polls recovered, with the outage it had', async () => {
    await allowConnections(true);

    const [recovered] = await eventually(
      async () => {
        const lines = relayLines('info');

        return lines.length > 0 ? lines : undefined;
      },
      20_000,
      'the recovery line',
    );
    expect(recovered.msg).toBe('outbox relay polls recovered');
    // The reminder a minute on is the unit spec's (failing-streak-log.spec.ts): no real minute.
    expect(recovered.failingForMs).toBeGreaterThanOrEqual(4_000);
    expect(recovered.failedPolls).toBeGreaterThan(10);

    await new Promise((resolve) => setTimeout(resolve, 5 * POLL_MS));
    expect(warnings()).toHaveLength(1);
    expect(relayLines('info')).toHaveLength(1);
  }, 30_000);
});
