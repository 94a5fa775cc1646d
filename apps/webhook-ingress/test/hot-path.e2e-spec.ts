import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { DeliveryStatus, dataSourceOptions } from '@sm/entities';
import { TestDatabase, createTestDatabase, eventually } from '@sm/testing';

import {
  NewInboxRow,
  WebhookInboxRepository,
} from '../src/webhooks/inbox/webhook-inbox.repository';
import { IngressHarness } from './support/ingress-harness';
import { signatureHeader } from './support/signing-keys';

function row(overrides: Partial<NewInboxRow> = {}): NewInboxRow {
  const webhookId = randomUUID();

  return {
    dedupeKey: webhookId,
    webhookId,
    eventType: 'ContactUpdate',
    locationId: 'loc-batch',
    payloadJson: JSON.stringify({ type: 'ContactUpdate', locationId: 'loc-batch', webhookId }),
    signatureScheme: 'ed25519',
    status: DeliveryStatus.Received,
    error: null,
    ...overrides,
  };
}

/**
 * Postgres' numeric cannot hold 10^200000: a signed body jsonb cannot store (SQLSTATE 22003).
 * (NUL and lone surrogates, which jsonb refuses too, are stored as U+FFFD instead.)
 */
const UNSTORABLE_JSON = '{"type":"ContactUpdate","name":1e200000}';

describe('the inbox records deliveries in batches', () => {
  let database: TestDatabase;
  let db: DataSource;
  let inbox: WebhookInboxRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url)).initialize();
    inbox = new WebhookInboxRepository(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const storedIds = async (ids: (string | undefined)[]) => {
    const rows: { id: string }[] = await db.query(
      'SELECT id FROM webhook_inbox WHERE id = ANY($1::uuid[])',
      [ids.filter(Boolean)],
    );

    return rows.map(({ id }) => id).sort();
  };

  it('answers each delivery of one statement with its own row id, once committed', async () => {
    const pool = (db.driver as unknown as { master: { query: () => unknown } }).master;
    const statements = jest.spyOn(pool, 'query');
    const rows = Array.from({ length: 50 }, () => row());

    const ids = await Promise.all(rows.map((next) => inbox.record(next)));

    // The 50 deliveries of one turn of the event loop took one statement, not fifty.
    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();
    expect(new Set(ids).size).toBe(50);
    expect(await storedIds(ids)).toEqual([...ids].sort());
    const stored: { id: string; dedupe_key: string }[] = await db.query(
      'SELECT id, dedupe_key FROM webhook_inbox WHERE id = ANY($1::uuid[])',
      [ids],
    );
    for (const [index, next] of rows.entries()) {
      expect(stored.find(({ id }) => id === ids[index])?.dedupe_key).toBe(next.dedupeKey);
    }
  });

  it('records a key sent twice in one batch once: the first caller gets the id', async () => {
    const first = row();
    const again = { ...first, payloadJson: JSON.stringify({ copy: 2 }) };

    const [firstId, againId] = await Promise.all([inbox.record(first), inbox.record(again)]);

    expect(firstId).toEqual(expect.any(String));
    expect(againId).toBeUndefined();
    expect(await storedIds([firstId])).toEqual([firstId]);
  });

  it('refuses only the row Postgres cannot store; the rest of its batch is recorded', async () => {
    const good = [row(), row(), row()];
    const bad = row({ payloadJson: UNSTORABLE_JSON });

    const outcomes = await Promise.allSettled([...good, bad].map((next) => inbox.record(next)));

    expect(outcomes.slice(0, 3).map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(outcomes[3]).toMatchObject({ status: 'rejected', reason: { code: '22003' } });
    const ids = outcomes
      .slice(0, 3)
      .map((outcome) => (outcome as PromiseFulfilledResult<string>).value);
    expect(await storedIds(ids)).toEqual([...ids].sort());
    const [{ count }] = await db.query(
      'SELECT count(*)::int AS count FROM webhook_inbox WHERE dedupe_key = $1',
      [bad.dedupeKey],
    );
    expect(count).toBe(0);
  });

  it('rejects every delivery of a batch Postgres does not commit', async () => {
    const other = await new DataSource(dataSourceOptions(database.url)).initialize();
    const broken = new WebhookInboxRepository(other);
    await other.destroy();

    const outcomes = await Promise.allSettled([row(), row()].map((next) => broken.record(next)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('the hot path, over HTTP', () => {
  const ingress = new IngressHarness();

  beforeAll(() => ingress.start(), 30_000);
  afterAll(() => ingress.stop());

  const contactEvent = () =>
    JSON.stringify({
      type: 'ContactUpdate',
      locationId: 'loc-burst',
      id: `contact-${randomUUID()}`,
      webhookId: randomUUID(),
      timestamp: new Date().toISOString(),
    });

  it('a burst larger than a batch: every acceptance is a row, and every row a job', async () => {
    const answers = await Promise.all(
      Array.from({ length: 240 }, () => ingress.postSigned(contactEvent())),
    );

    expect(answers.map((answer) => answer.body.status)).toEqual(Array(240).fill('accepted'));
    const ids = answers.map((answer) => String(answer.body.id));
    const rows: { id: string }[] = await ingress.db.query(
      'SELECT id FROM webhook_inbox WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(rows).toHaveLength(240);
    // A delivery is enqueued just after its answer (the row is what makes it durable), so the
    // last jobs may land a moment after the last answer.
    const jobsOfAll = async () => {
      const jobs = await Promise.all(ids.map((id) => ingress.jobFor(id)));
      const queued = jobs.filter((job) => job?.job.data.inboxId);

      return queued.length === ids.length ? queued : undefined;
    };
    expect(await eventually(jobsOfAll, 10_000, 'a job for every row')).toHaveLength(240);
    // 240 deliveries at once: under a second alone, several on a machine shared with others.
  }, 30_000);

  it('a burst with one unstorable body: that one is refused, the others accepted', async () => {
    const bodies = [contactEvent(), UNSTORABLE_JSON, contactEvent(), contactEvent()];

    const answers = await Promise.all(bodies.map((body) => ingress.postSigned(body)));

    expect(answers.map((answer) => answer.status)).toEqual([200, 400, 200, 200]);
    expect(answers[1].body).toMatchObject({ error: 'unstorable_payload' });
    const rows = await ingress.inboxRows();
    expect(rows.filter((stored) => stored.payload.name !== undefined)).toHaveLength(0);
  });

  it('serves the route with a query string; other spellings of it reach Express', async () => {
    const base = ingress.url.replace('/webhooks/ghl', '');
    const post = (path: string, body: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signatureHeader(ingress.ed25519, body) },
      });

    const withQuery = await post('/webhooks/ghl?source=ghl', contactEvent());
    const trailingSlash = await post('/webhooks/ghl/', contactEvent());
    const health = await fetch(`${base}/health/live`);
    const elsewhere = await post('/webhooks/other', contactEvent());

    expect(withQuery.status).toBe(200);
    expect(withQuery.headers.get('content-type')).toBe('application/json; charset=utf-8');
    await expect(withQuery.json()).resolves.toMatchObject({ status: 'accepted' });
    expect(trailingSlash.status).toBe(200);
    await expect(trailingSlash.json()).resolves.toMatchObject({ status: 'accepted' });
    expect(health.status).toBe(200);
    expect(elsewhere.status).toBe(404);
  });
});
