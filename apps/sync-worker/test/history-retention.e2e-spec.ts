import { HistoryPruner } from '../src/retention/history-pruner.service';
import { useSyncWorkerStack } from './support/sync-worker-stack';

const KEPT = 'SMretentionKept00001';
const SWEPT = 'SMretentionSwept0001';

describe('the sync history past its retention (30 days here)', () => {
  const stack = useSyncWorkerStack({
    name: 'retention',
    serviceToken: 'retention-service-token-0123456789ab',
    env: { HISTORY_RETENTION_DAYS: '30' },
  });

  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
  const run = (locationId: string, label: string, days: number, kind: Partial<RunKind> = {}) =>
    stack.dataSource.query(
      `INSERT INTO sync_runs (location_id, scope, trigger, status, counts, job_id, started_at)
       VALUES ($1, $2, $3, $4, '{}', $5, $6)`,
      [
        locationId,
        kind.scope ?? 'location',
        kind.trigger ?? 'nightly',
        kind.status ?? 'succeeded',
        label,
        daysAgo(days),
      ],
    );
  const remaining = async (sql: string) =>
    ((await stack.dataSource.query(sql)) as { label: string }[]).map((row) => row.label).sort();

  it("deletes what is older, but each location's last full sync and what is owed", async () => {
    await run(KEPT, 'kept-last-full-sync', 40);
    await run(KEPT, 'older-full-sync', 50);
    await run(KEPT, 'old-contact-sync', 40, { scope: 'contact', trigger: 'webhook' });
    await run(KEPT, 'recent-contact-sync', 1, { scope: 'contact', trigger: 'webhook' });
    await run(KEPT, 'newer-task-sweep', 35, { trigger: 'task-sweep' });
    await run(SWEPT, 'old-failed-full-sync', 40, { status: 'failed' });
    await stack.dataSource.query(
      `INSERT INTO outbox_events (location_id, event_type, payload, created_at, published_at)
       VALUES ($1, 'sync-completed', '{"label": "old-published"}', $2, $2),
              ($1, 'sync-completed', '{"label": "recent-published"}', $3, $3),
              ($1, 'sync-completed', '{"label": "old-unpublished"}', $2, NULL)`,
      [KEPT, daysAgo(40), daysAgo(1)],
    );
    await stack.dataSource.query(
      `INSERT INTO parked_jobs (queue_name, job_name, location_id, data, failed_reason,
                                attempts_made, parked_at, replayed_at)
       VALUES ('contact-sync', 'old-replayed', $1, '{}', 'x', 6, $2, $2),
              ('contact-sync', 'old-not-replayed', $1, '{}', 'x', 6, $2, NULL),
              ('contact-sync', 'recent-replayed', $1, '{}', 'x', 6, $2, $3)`,
      [KEPT, daysAgo(40), daysAgo(1)],
    );
    await stack.dataSource.query(
      `INSERT INTO nightly_sync_dates (location_id, time_zone, local_date, job_id, claimed_at)
       VALUES ($1, 'UTC', '2026-01-01', 'old-date', $2),
              ($1, 'UTC', '2026-12-01', 'recent-date', $3)`,
      [KEPT, daysAgo(40), daysAgo(1)],
    );

    const pruned = await stack.app.get(HistoryPruner).prune();

    expect(pruned).toEqual({
      syncRuns: 4,
      outboxEvents: 1,
      replayedParkedJobs: 1,
      nightlySyncDates: 1,
    });
    expect(await remaining('SELECT job_id AS label FROM sync_runs')).toEqual([
      'kept-last-full-sync',
      'recent-contact-sync',
    ]);
    expect(await remaining("SELECT payload->>'label' AS label FROM outbox_events")).toEqual([
      'old-unpublished',
      'recent-published',
    ]);
    // Only the rows above: the worker's relay may meanwhile publish the unpublished event, which
    // its consumers refuse (it is no sync-completed event) and park under their own queues.
    const parked = "SELECT job_name AS label FROM parked_jobs WHERE queue_name = 'contact-sync'";
    expect(await remaining(parked)).toEqual(['old-not-replayed', 'recent-replayed']);
    expect(await remaining('SELECT job_id AS label FROM nightly_sync_dates')).toEqual([
      'recent-date',
    ]);
  });

  // Last: it starts the worker's shutdown (the pruner's part of it).
  it('stops a prune after the batch in hand when the worker shuts down', async () => {
    await stack.dataSource.query(
      `INSERT INTO sync_runs (location_id, scope, contact_id, trigger, status, counts, started_at)
       SELECT $1, 'contact', 'contact-' || n, 'webhook', 'succeeded', '{}', $2
       FROM generate_series(1, 3000) AS n`,
      [SWEPT, daysAgo(40)],
    );
    const pruner = stack.app.get(HistoryPruner);

    const pruning = pruner.prune();
    pruner.onModuleDestroy();
    const pruned = await pruning;

    // Batches of 1,000: at most the one under way when the shutdown began.
    expect(pruned.syncRuns).toBeLessThanOrEqual(1_000);
    const [{ left }] = await stack.dataSource.query(
      `SELECT count(*)::int AS left FROM sync_runs WHERE location_id = $1`,
      [SWEPT],
    );
    expect(left).toBe(3_000 - pruned.syncRuns);
  });
});

interface RunKind {
  scope: string;
  trigger: string;
  status: string;
}
