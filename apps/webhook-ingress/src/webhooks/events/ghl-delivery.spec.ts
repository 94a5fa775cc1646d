import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { JobName, QueueName } from '@sm/queues';

import { workspaceRoot } from '../../config/webhook-public-keys';
import { dedupeKeyOf } from './dedupe-key';
import { assertFresh } from './delivery-freshness';
import { readDelivery } from './ghl-delivery';

const examplesDir = path.join(workspaceRoot(), 'vendor/ghl/webhooks');
const examples = readdirSync(examplesDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => [file, JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8'))] as const);

describe('readDelivery', () => {
  it.each(examples)('reads %s as routable, with no deviation from its schema', (_file, payload) => {
    const delivery = readDelivery(payload);

    expect(delivery.route).toBeDefined();
    expect(delivery.unroutable).toBeUndefined();
    expect(delivery.deviations).toEqual([]);
  });

  it('sends INSTALL and UNINSTALL to the auth service, everything else to the sync worker', () => {
    expect(readDelivery({ type: 'INSTALL', companyId: 'c-1' }).route).toMatchObject({
      queue: QueueName.ConnectionEvents,
      jobName: JobName.AppInstalled,
    });
    expect(readDelivery({ type: 'UNINSTALL', locationId: 'l-1' }).route).toMatchObject({
      queue: QueueName.ConnectionEvents,
      jobName: JobName.AppUninstalled,
    });
    expect(readDelivery({ type: 'NoteUpdate', locationId: 'l-1' }).route).toMatchObject({
      queue: QueueName.WebhookEvents,
      jobName: JobName.ProcessWebhook,
    });
  });

  it('keeps ids of 1 to 64 characters, and records anything else as no id', () => {
    const readIds = (id: unknown) => {
      const delivery = readDelivery({ type: 'XUnknown', locationId: id, companyId: id });

      return [delivery.locationId, delivery.companyId];
    };

    expect(readIds('l'.repeat(64))).toEqual(['l'.repeat(64), 'l'.repeat(64)]);
    for (const notAnId of ['', 'l'.repeat(65), 42, null, undefined, { id: 'l-1' }]) {
      expect(readIds(notAnId)).toEqual([null, null]);
    }
  });

  it('reports odd documented fields without making the event unroutable', () => {
    const delivery = readDelivery({ type: 'ContactCreate', locationId: 'l-1', tags: 'vip' });

    expect(delivery.unroutable).toBeUndefined();
    expect(delivery.deviations).toEqual(['tags']);
  });

  it('names what routing misses', () => {
    expect(readDelivery({ type: 'TaskCreate' }).unroutable).toMatch(/locationId/);
    expect(readDelivery({ type: 'UNINSTALL', appId: 'a' }).unroutable).toMatch(/companyId/);
  });

  it('does not mistake inherited property names for event types', () => {
    expect(readDelivery({ type: 'constructor', locationId: 'l-1' }).route).toBeUndefined();
    expect(readDelivery({ type: '__proto__', locationId: 'l-1' }).route).toBeUndefined();
  });
});

describe('dedupeKeyOf', () => {
  it("is GHL's webhookId when there is one, else a hash of type, ids and the exact body", () => {
    const body = Buffer.from('{"type":"NoteCreate","locationId":"l-1","id":"n-1"}');
    const withId = readDelivery({ type: 'NoteCreate', locationId: 'l-1', webhookId: 'wh-1' });
    const withoutId = readDelivery(JSON.parse(body.toString()));

    expect(dedupeKeyOf(withId, body)).toBe('wh-1');
    expect(dedupeKeyOf(withoutId, body)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(dedupeKeyOf(withoutId, body)).toBe(dedupeKeyOf(withoutId, Buffer.from(body)));
    expect(dedupeKeyOf(withoutId, Buffer.from(`${body} `))).not.toBe(dedupeKeyOf(withoutId, body));
  });
});

describe('assertFresh', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');

  it('passes a delivery without timestamp, and one inside the window either way', () => {
    expect(() => assertFresh(undefined, 300, now)).not.toThrow();
    expect(() => assertFresh('2026-01-01T11:55:01Z', 300, now)).not.toThrow();
    expect(() => assertFresh('2026-01-01T12:04:59Z', 300, now)).not.toThrow();
  });

  it('refuses a replay from outside the window, and a timestamp that is no date', () => {
    expect(() => assertFresh('2026-01-01T11:54:59Z', 300, now)).toThrow(/tolerance is 300 s/);
    expect(() => assertFresh('2026-01-01T12:05:01Z', 300, now)).toThrow(/tolerance/);
    expect(() => assertFresh('soon', 300, now)).toThrow(/not an ISO-8601 date/);
  });
});
