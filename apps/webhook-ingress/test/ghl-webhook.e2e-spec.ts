import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';

import { JobName, QueueName } from '@sm/queues';
import { eventually } from '@sm/testing';

import {
  GhlExample,
  asLiveDelivery,
  ghlExamples,
  withFreshTimestamp,
} from './support/ghl-examples';
import { IngressHarness } from './support/ingress-harness';
import { signatureHeader } from './support/signing-keys';

const examples = ghlExamples();

function isRepeatOfEarlierExample(example: GhlExample): boolean {
  return examples.findIndex((other) => other.text === example.text) < examples.indexOf(example);
}

function expectedRoute(type: string) {
  if (type === 'INSTALL') return { queue: QueueName.ConnectionEvents, name: JobName.AppInstalled };
  if (type === 'UNINSTALL') {
    return { queue: QueueName.ConnectionEvents, name: JobName.AppUninstalled };
  }

  return { queue: QueueName.WebhookEvents, name: JobName.ProcessWebhook };
}

function contactEvent(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'ContactUpdate',
    locationId: 'loc-1',
    id: `contact-${randomUUID()}`,
    webhookId: randomUUID(),
    timestamp: new Date().toISOString(),
    ...fields,
  });
}

/** Streams `count` chunks of `size` bytes with chunked transfer encoding; the answer's status. */
function postChunked(url: string, size: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ghl-signature': 'AAAA' },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    for (let chunk = 0; chunk < count; chunk++) request.write(Buffer.alloc(size, 0x20));
    request.end();
  });
}

describe('POST /webhooks/ghl', () => {
  const ingress = new IngressHarness();

  beforeAll(() => ingress.start());
  afterAll(() => ingress.stop());

  describe('every GHL example, signed both ways', () => {
    it('has examples to post', () => {
      expect(examples.length).toBeGreaterThanOrEqual(20);
    });

    it.each(examples.map((example) => [example.file, example] as const))(
      'records and routes %s signed with Ed25519 (x-ghl-signature)',
      async (_file, example) => {
        const body = withFreshTimestamp(example.text);

        const answer = await ingress.postSigned(body, ingress.ed25519);

        expect(answer.status).toBe(200);
        if (isRepeatOfEarlierExample(example)) {
          // GHL's AppointmentUpdate and AppointmentDelete examples are byte for byte the
          // AppointmentCreate one (type included): the same delivery again, so a duplicate.
          expect(answer.body).toEqual({ status: 'duplicate' });
          return;
        }
        expect(answer.body).toEqual({ status: 'accepted', id: expect.any(String) });
        await expectRecordedAndRouted(String(answer.body.id), body, 'ed25519');
      },
    );

    it.each(examples.map((example) => [example.file, example] as const))(
      'records and routes %s signed with RSA-SHA256 (x-wh-signature)',
      async (_file, example) => {
        const body = asLiveDelivery(example.text);

        const answer = await ingress.postSigned(body, ingress.rsa);

        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ status: 'accepted', id: expect.any(String) });
        await expectRecordedAndRouted(String(answer.body.id), body, 'rsa-sha256');
      },
    );

    async function expectRecordedAndRouted(inboxId: string, body: string, scheme: string) {
      const payload = JSON.parse(body) as Record<string, unknown>;
      const row = await ingress.row(inboxId);
      expect(row).toMatchObject({
        event_type: payload.type,
        location_id: payload.locationId ?? null,
        payload,
        signature_scheme: scheme,
        status: 'received',
        webhook_id: payload.webhookId ?? null,
      });

      const found = await eventually(() => ingress.jobFor(inboxId), 5_000, `job ${inboxId}`);
      const route = expectedRoute(String(payload.type));
      expect(found.queue).toBe(route.queue);
      expect(found.job.name).toBe(route.name);
      expect(found.job.data).toEqual(
        route.queue === QueueName.WebhookEvents
          ? { inboxId, locationId: payload.locationId, eventType: payload.type }
          : {
              inboxId,
              locationId: payload.locationId ?? null,
              companyId: payload.companyId ?? null,
            },
      );
    }
  });

  describe('signatures', () => {
    it('verifies the exact bytes: the same JSON re-spaced no longer verifies', async () => {
      const signed = contactEvent();
      const respaced = JSON.stringify(JSON.parse(signed), null, 2);

      const answer = await ingress.post(respaced, {
        'content-type': 'application/json',
        ...signatureHeader(ingress.ed25519, signed),
      });

      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('signature_invalid');
    });

    it('accepts a key being rotated in alongside the current one', async () => {
      const answer = await ingress.postSigned(contactEvent(), ingress.nextEd25519);

      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('accepted');
    });

    it('prefers x-ghl-signature: valid RSA cannot rescue a forged Ed25519 signature', async () => {
      const body = contactEvent();
      const before = await ingress.inboxCount();

      const answer = await ingress.post(body, {
        'content-type': 'application/json',
        ...signatureHeader(ingress.stranger, body),
        ...signatureHeader(ingress.rsa, body),
      });

      expect(answer.status).toBe(401);
      expect(await ingress.inboxCount()).toBe(before);
    });

    it('treats x-ghl-signature: N/A as absent and verifies x-wh-signature instead', async () => {
      const body = contactEvent();

      const answer = await ingress.post(body, {
        'content-type': 'application/json',
        'x-ghl-signature': 'N/A',
        ...signatureHeader(ingress.rsa, body),
      });

      expect(answer.status).toBe(200);
      expect((await ingress.row(String(answer.body.id)))?.signature_scheme).toBe('rsa-sha256');
    });
  });

  describe('refusals: each names its problem and leaves no row', () => {
    const json = { 'content-type': 'application/json' };
    const cases: [
      string,
      () => Promise<{ status: number; body: Record<string, unknown> }>,
      number,
      string,
    ][] = [
      [
        'a forged Ed25519 signature',
        () => {
          const body = contactEvent();
          return ingress.post(body, { ...json, ...signatureHeader(ingress.stranger, body) });
        },
        401,
        'signature_invalid',
      ],
      [
        'a forged RSA signature',
        () => {
          const body = contactEvent();
          return ingress.post(body, { ...json, ...signatureHeader(ingress.strangerRsa, body) });
        },
        401,
        'signature_invalid',
      ],
      [
        'a signature that is not base64',
        () => ingress.post(contactEvent(), { ...json, 'x-ghl-signature': 'not base64!' }),
        401,
        'signature_invalid',
      ],
      [
        'N/A in both signature headers',
        () =>
          ingress.post(contactEvent(), {
            ...json,
            'x-ghl-signature': 'N/A',
            'x-wh-signature': 'N/A',
          }),
        401,
        'signature_missing',
      ],
      ['no signature header', () => ingress.post(contactEvent(), json), 401, 'signature_missing'],
      [
        'a content type other than JSON',
        () => {
          const body = contactEvent();
          return ingress.post(body, {
            'content-type': 'text/plain',
            ...signatureHeader(ingress.ed25519, body),
          });
        },
        415,
        'unsupported_media_type',
      ],
      [
        'a body over the size limit',
        () => {
          const body = contactEvent({ padding: 'x'.repeat(1024 * 1024) });
          return ingress.post(body, { ...json, ...signatureHeader(ingress.ed25519, body) });
        },
        413,
        'payload_too_large',
      ],
      [
        'malformed JSON, correctly signed',
        () => ingress.postSigned('{"type": "ContactCreate", "locationId": '),
        400,
        'malformed_json',
      ],
      [
        'a JSON array instead of an event',
        () => ingress.postSigned('[{"type":"ContactCreate"}]'),
        400,
        'invalid_payload',
      ],
      [
        'an event without a type',
        () => ingress.postSigned('{"locationId":"loc-1","id":"c-1"}'),
        400,
        'invalid_payload',
      ],
      [
        'a timestamp older than the tolerance (a replay)',
        () =>
          ingress.postSigned(
            contactEvent({ timestamp: new Date(Date.now() - 301_000).toISOString() }),
          ),
        401,
        'stale_timestamp',
      ],
      [
        'a timestamp further ahead than the tolerance',
        () =>
          ingress.postSigned(
            contactEvent({ timestamp: new Date(Date.now() + 301_000).toISOString() }),
          ),
        401,
        'stale_timestamp',
      ],
      [
        'a timestamp that is not a date',
        () => ingress.postSigned(contactEvent({ timestamp: 'yesterday' })),
        400,
        'invalid_timestamp',
      ],
    ];

    it.each(cases)('refuses %s', async (_what, send, status, error) => {
      const before = await ingress.inboxCount();

      const answer = await send();

      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ statusCode: status, error, message: expect.any(String) });
      expect(await ingress.inboxCount()).toBe(before);
    });

    it('refuses a chunked body (no content-length) as soon as it crosses the limit', async () => {
      const before = await ingress.inboxCount();

      const status = await postChunked(ingress.url, 64 * 1024, 20);

      expect(status).toBe(413);
      expect(await ingress.inboxCount()).toBe(before);
    });

    it('accepts a body just under the size limit', async () => {
      const body = contactEvent({ padding: 'x'.repeat(1024 * 1024 - 400) });

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(200);
    });
  });

  describe('duplicates', () => {
    it('records a delivery sent twice without webhookId once, and queues it once', async () => {
      const body = JSON.stringify({ type: 'NoteCreate', locationId: 'loc-1', id: randomUUID() });

      const first = await ingress.postSigned(body);
      const second = await ingress.postSigned(body, ingress.rsa);

      expect(first.body.status).toBe('accepted');
      expect(second.status).toBe(200);
      expect(second.body).toEqual({ status: 'duplicate' });
      const rows = (await ingress.inboxRows()).filter(
        (row) => row.payload.id === JSON.parse(body).id,
      );
      expect(rows).toHaveLength(1);
    });

    it('answers concurrent copies of a webhookId: one acceptance, one row, one job', async () => {
      const webhookId = randomUUID();
      const bodies = Array.from({ length: 8 }, (_, copy) => contactEvent({ webhookId, copy }));

      const answers = await Promise.all(bodies.map((body) => ingress.postSigned(body)));

      const statuses = answers.map((answer) => answer.body.status).sort();
      expect(statuses).toEqual(['accepted', ...Array(7).fill('duplicate')]);
      const rows = (await ingress.inboxRows()).filter((row) => row.webhook_id === webhookId);
      expect(rows).toHaveLength(1);
      const jobsBefore = await eventually(async () => {
        const job = await ingress.jobFor(rows[0].id);
        return job ? ingress.jobCount() : undefined;
      });
      await ingress.postSigned(bodies[0]);
      expect(await ingress.jobCount()).toBe(jobsBefore);
    });
  });

  describe('characters Postgres cannot hold', () => {
    it('records NUL and lone surrogates, in keys and values at any depth, as U+FFFD', async () => {
      const body = contactEvent().replace(
        /}$/,
        String.raw`,"firstName":"Ann\ud83d","tags":["hot\uD83D","\udc00"],"a\u0000b":1,` +
          String.raw`"customFields":[{"id\ud800":{"value":"x\u0000y"}}],` +
          String.raw`"sun":"\ud83c\udf1e","big":12345678901234567890123}`,
      );

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('accepted');
      const row = await ingress.row(String(answer.body.id));
      expect(row?.payload).toMatchObject({
        firstName: 'Ann\ufffd',
        tags: ['hot\ufffd', '\ufffd'],
        'a\ufffdb': 1,
        customFields: [{ 'id\ufffd': { value: 'x\ufffdy' } }],
        sun: '\ud83c\udf1e',
      });
      const [{ big }] = await ingress.db.query(
        `SELECT payload->>'big' AS big FROM webhook_inbox WHERE id = $1`,
        [answer.body.id],
      );
      expect(big).toBe('12345678901234567890123');
      expect(await eventually(() => ingress.jobFor(String(answer.body.id)), 5_000)).toBeDefined();
    });

    it('records NUL and lone surrogates in the ids and type it keeps in columns', async () => {
      const body =
        String.raw`{"type":"Opportunity\u0000Create","locationId":"loc\u0000-1",` +
        String.raw`"webhookId":"wh-\ud83d${randomUUID()}","id":"o-1"}`;

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(200);
      const row = await ingress.row(String(answer.body.id));
      expect(row).toMatchObject({
        event_type: 'Opportunity\ufffdCreate',
        location_id: 'loc\ufffd-1',
        webhook_id: expect.stringMatching(/^wh-\ufffd/),
        status: 'ignored',
      });
      expect(row?.dedupe_key).toBe(row?.webhook_id);
    });
  });

  describe('lenient validation', () => {
    it('records an unknown event type as ignored and queues nothing', async () => {
      const body = JSON.stringify({ type: 'OpportunityCreate', locationId: 'loc-1', id: 'o-1' });

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(200);
      const inboxId = String(answer.body.id);
      expect(await ingress.row(inboxId)).toMatchObject({ status: 'ignored' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await ingress.jobFor(inboxId)).toBeUndefined();
    });

    it('routes a known event whose documented fields are missing or oddly typed', async () => {
      const body = JSON.stringify({
        type: 'ContactCreate',
        locationId: 'loc-2',
        tags: 'vip',
        dnd: 'yes',
      });

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(200);
      const inboxId = String(answer.body.id);
      expect(await ingress.row(inboxId)).toMatchObject({ status: 'received' });
      const found = await eventually(() => ingress.jobFor(inboxId), 5_000);
      expect(found.queue).toBe(QueueName.WebhookEvents);
    });

    it('keeps a known event it cannot route (no locationId) as failed, unqueued', async () => {
      const body = JSON.stringify({ type: 'TaskCreate', id: randomUUID() });

      const answer = await ingress.postSigned(body);

      expect(answer.status).toBe(200);
      const row = await ingress.row(String(answer.body.id));
      expect(row).toMatchObject({ status: 'failed', error: expect.stringContaining('locationId') });
      expect(await ingress.jobFor(String(answer.body.id))).toBeUndefined();
    });
  });
});
