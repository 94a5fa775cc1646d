import { setTimeout as sleep } from 'node:timers/promises';

import { WebhookSweeper } from '../src/webhooks/inbox/webhook-sweeper.service';
import { IngressHarness } from './support/ingress-harness';

const STATUSES = ['received', 'processed', 'ignored', 'failed'];

describe('webhook inbox retention', () => {
  const ingress = new IngressHarness();
  let sweeper: WebhookSweeper;

  beforeAll(async () => {
    await ingress.start({
      WEBHOOK_INBOX_RETENTION_DAYS: '30',
      WEBHOOK_INBOX_PRUNE_INTERVAL_SECONDS: '1',
    });
    sweeper = ingress.app.get(WebhookSweeper);
  });
  afterAll(() => ingress.stop());

  /** `count` rows of one status, received `ageDays` ago, their dedupe keys led by `label`. */
  async function insertRows(label: string, status: string, ageDays: number, count = 1) {
    await ingress.db.query(
      `INSERT INTO webhook_inbox
         (dedupe_key, event_type, location_id, payload, signature_scheme, status, received_at)
       SELECT $1 || '-' || n, 'ContactUpdate', 'loc-retention', '{"id":"c-1"}', 'ed25519', $2,
         now() - make_interval(days => $3)
       FROM generate_series(1, $4) AS n`,
      [label, status, ageDays, count],
    );
  }

  async function keysLeft(): Promise<string[]> {
    const rows: { dedupe_key: string }[] = await ingress.db.query(
      'SELECT dedupe_key FROM webhook_inbox ORDER BY dedupe_key',
    );

    return rows.map((row) => row.dedupe_key);
  }

  async function clearInbox(): Promise<void> {
    await ingress.db.query('DELETE FROM webhook_inbox');
  }

  it('deletes processed and ignored deliveries past the retention, keeps every other', async () => {
    for (const status of STATUSES) {
      await insertRows(`${status}-31d`, status, 31);
      await insertRows(`${status}-29d`, status, 29);
      await insertRows(`${status}-new`, status, 0);
    }

    await sweeper.sweep();

    const kept = STATUSES.flatMap((status) =>
      ['29d', '31d', 'new']
        .filter((age) => age !== '31d' || status === 'received' || status === 'failed')
        .map((age) => `${status}-${age}-1`),
    ).sort();
    expect(await keysLeft()).toEqual(kept);
    await clearInbox();
  });

  it('deletes a backlog in bounded batches, at most once per prune interval', async () => {
    await insertRows('backlog', 'processed', 40, 5_500);
    await sleep(1_100);

    await sweeper.sweep();
    const afterFirst = (await keysLeft()).length;
    await sweeper.sweep();
    const afterSecondSoonAfter = (await keysLeft()).length;
    await sleep(1_100);
    await sweeper.sweep();
    const afterInterval = (await keysLeft()).length;

    // Five statements of 1,000 rows per prune.
    expect(afterFirst).toBe(500);
    expect(afterSecondSoonAfter).toBe(500);
    expect(afterInterval).toBe(0);
  });
});
