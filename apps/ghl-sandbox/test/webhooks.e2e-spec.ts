import { createPublicKey, verify } from 'node:crypto';

import { control, LOCATION_ID, Sandbox, startReceiver, startSandbox } from './sandbox-harness';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('sandbox webhooks', () => {
  let sandbox: Sandbox;
  let receiver: Receiver;
  let keys: { ed25519: string; rsa: string };

  const verifies = (raw: Buffer, headers: Receiver['received'][number]['headers']) => ({
    ed25519: verify(
      null,
      raw,
      createPublicKey(keys.ed25519),
      Buffer.from(String(headers['x-ghl-signature']), 'base64'),
    ),
    rsa: verify(
      'sha256',
      raw,
      createPublicKey(keys.rsa),
      Buffer.from(String(headers['x-wh-signature']), 'base64'),
    ),
  });

  beforeAll(async () => {
    sandbox = await startSandbox({ SANDBOX_LOCATIONS: `${LOCATION_ID}:50` });
    receiver = await startReceiver();
    await control(sandbox.baseUrl, 'PUT', '/_sandbox/webhook-target', { url: receiver.url });
    keys = (await control(sandbox.baseUrl, 'GET', '/_sandbox/webhook-keys')).body as typeof keys;
  });

  beforeEach(() => receiver.received.splice(0));

  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('serves both public keys as PEM', () => {
    expect(keys.ed25519).toContain('BEGIN PUBLIC KEY');
    expect(createPublicKey(keys.ed25519).asymmetricKeyType).toBe('ed25519');
    expect(createPublicKey(keys.rsa).asymmetricKeyType).toBe('rsa');
  });

  const cases: Array<[string, string[]]> = [
    ['contact.create', ['ContactCreate']],
    ['contact.update', ['ContactUpdate']],
    ['contact.tag', ['ContactTagUpdate']],
    ['task.create', ['TaskCreate']],
    ['task.update', []],
    ['task.complete', ['TaskComplete']],
    ['task.delete', ['TaskDelete']],
    ['note.create', ['NoteCreate']],
    ['note.update', ['NoteUpdate']],
    ['note.delete', ['NoteDelete']],
    ['appointment.create', ['AppointmentCreate']],
    ['appointment.update', ['AppointmentUpdate']],
    ['appointment.delete', ['AppointmentDelete']],
    ['contact.delete', ['ContactDelete']],
  ];

  it.each(cases)('%s sends %j, signed with both keys over the raw body', async (kind, types) => {
    const answer = await control(
      sandbox.baseUrl,
      'POST',
      `/_sandbox/locations/${LOCATION_ID}/changes`,
      { kind },
    );

    expect(answer.status).toBe(200);
    expect(answer.body.webhooks.map((hook: { type: string }) => hook.type)).toEqual(types);
    expect(answer.body.webhooks.every((hook: { status: number }) => hook.status === 200)).toBe(
      true,
    );
    expect(receiver.received).toHaveLength(types.length);
    for (const delivery of receiver.received) {
      const event = JSON.parse(delivery.raw.toString());
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(verifies(delivery.raw, delivery.headers)).toEqual({ ed25519: true, rsa: true });
      expect(event.locationId).toBe(LOCATION_ID);
      expect(event.webhookId).toEqual(expect.any(String));
      expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
    }
  });

  it('shapes a task event as GHL does, for the task it changed', async () => {
    const answer = await control(
      sandbox.baseUrl,
      'POST',
      `/_sandbox/locations/${LOCATION_ID}/changes`,
      { kind: 'task.create', fields: { title: 'Send the signed proposal' } },
    );

    const event = JSON.parse(receiver.received[0].raw.toString());
    expect(event).toMatchObject({
      type: 'TaskCreate',
      id: answer.body.record.id,
      contactId: answer.body.record.contactId,
      title: 'Send the signed proposal',
    });
    expect(Object.keys(event).sort()).toEqual(
      [
        'type',
        'locationId',
        'id',
        'assignedTo',
        'body',
        'contactId',
        'title',
        'dateAdded',
        'dueDate',
        'webhookId',
        'timestamp',
      ].sort(),
    );
  });

  it('gives every webhook a unique webhookId', async () => {
    for (let count = 0; count < 5; count++) {
      await control(sandbox.baseUrl, 'POST', `/_sandbox/locations/${LOCATION_ID}/changes`, {
        kind: 'contact.update',
      });
    }

    const ids = receiver.received.map((delivery) => JSON.parse(delivery.raw.toString()).webhookId);
    expect(new Set(ids).size).toBe(5);
  });

  it('delivers an arbitrary payload with a bad or no signature on request', async () => {
    const payload = { type: 'INSTALL', appId: 'sandbox', locationId: LOCATION_ID };

    await control(sandbox.baseUrl, 'POST', '/_sandbox/webhooks/send', { payload, signing: 'bad' });
    await control(sandbox.baseUrl, 'POST', '/_sandbox/webhooks/send', { payload, signing: 'none' });

    const [bad, none] = receiver.received;
    expect(JSON.parse(bad.raw.toString())).toEqual(payload);
    expect(verifies(bad.raw, bad.headers)).toEqual({ ed25519: false, rsa: false });
    expect(none.headers['x-ghl-signature']).toBeUndefined();
    expect(none.headers['x-wh-signature']).toBeUndefined();
  });

  it('records the status a failing receiver answers', async () => {
    const failing = await startReceiver(503);
    await control(sandbox.baseUrl, 'PUT', '/_sandbox/webhook-target', { url: failing.url });

    const answer = await control(
      sandbox.baseUrl,
      'POST',
      `/_sandbox/locations/${LOCATION_ID}/changes`,
      { kind: 'note.create' },
    );
    await control(sandbox.baseUrl, 'PUT', '/_sandbox/webhook-target', { url: receiver.url });
    await failing.close();

    const stats = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');
    expect(answer.body.webhooks[0].status).toBe(503);
    expect(stats.body.webhooks.failed).toBeGreaterThanOrEqual(1);
  });
});
