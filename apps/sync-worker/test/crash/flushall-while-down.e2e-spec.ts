import { SYNC_COMPLETED } from '@sm/sync-events';
import { eventually } from '@sm/testing';

import { CrashHarness, useHarnessOnPrivateRedis } from './crash-harness';

const CONTACTS = 1_500;

/**
 * Redis loses its data while no worker runs (a failover to an empty replica during a deploy):
 * the worker that boots next finds its marker gone where Postgres says one was, and recovers
 * as from a loss it saw happen.
 */
describe('crash: Redis loses everything while the worker is down', () => {
  const { redis, harness } = useHarnessOnPrivateRedis({
    locationId: 'SMcrashFlushDown0001',
    contacts: CONTACTS,
  });

  it('finishes the sync killed before the loss, equal to GHL, every event delivered', async () => {
    await harness.faults({ latencyMs: 5 });
    await harness.startFullSync();
    await harness.waitForStoredContacts(CONTACTS * 0.3);
    await harness.worker?.stop('SIGKILL');

    await redis.run((client) => client.flushall());
    await harness.faults(null);
    await harness.startWorker();

    await harness.waitForSucceededRun(60_000);
    await harness.eventuallyEqualSandbox(30_000);
    await harness.expectEveryConsumerHasEveryEvent(30_000);
  }, 150_000);

  it('delivers again what was published before a deploy whose Redis came back empty', async () => {
    await harness.stopConsumers();
    await harness.startFullSync('manual');
    await eventually(
      async () => ((await unpublished(harness)) === 0 ? true : undefined),
      60_000,
      'the on-demand sync and its events to be published',
    );
    await harness.worker?.stop('SIGTERM');

    await redis.run((client) => client.flushall());
    await harness.startWorker();
    harness.startConsumers();

    await harness.expectEveryConsumerHasEveryEvent(30_000);
  }, 120_000);
});

/** Sync-completed events not yet published, once the on-demand run has finished. */
async function unpublished(harness: CrashHarness): Promise<number | undefined> {
  const [{ manual, unfinished }] = await harness.dataSource.query(
    `SELECT count(*)::int AS manual,
            count(*) FILTER (WHERE status <> 'succeeded')::int AS unfinished
     FROM sync_runs WHERE trigger = 'manual'`,
  );
  if (manual === 0 || unfinished > 0) return undefined;
  const [{ waiting }] = await harness.dataSource.query(
    `SELECT count(*)::int AS waiting FROM outbox_events
     WHERE event_type = $1 AND published_at IS NULL`,
    [SYNC_COMPLETED],
  );

  return waiting;
}
