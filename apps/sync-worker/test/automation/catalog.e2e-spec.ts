import { readFileSync } from 'node:fs';
import path from 'node:path';

import { WEBHOOK_EVENT_TYPES } from '@sm/queues';
import { WORKSPACE_ROOT } from '@sm/testing';

import type { OperationsCatalog } from '../../src/automation/catalog/operations-catalog.service';
import { AutomationHarness, SERVICE_TOKEN, startAutomationHarness } from './automation-harness';

/** The source files the catalog must agree with (read as text: an app never imports an app). */
const read = (file: string) => readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8');

describe('GET /api/v1/catalog', () => {
  let harness: AutomationHarness;
  let catalog: OperationsCatalog;

  beforeAll(async () => {
    harness = await startAutomationHarness();
    const response = await fetch(`${harness.url}/api/v1/catalog`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
    expect(response.status).toBe(200);
    catalog = (await response.json()) as OperationsCatalog;
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('lists every operation the GHL client calls, each with the scope the spec asks for', () => {
    const clientSource = read('libs/ghl-client/src/location-client.ts');
    const inClient = new Set(
      [...clientSource.matchAll(/operation: '([a-z0-9-]+)'/gi)].map((m) => m[1]),
    );
    const inCatalog = new Set(
      catalog.actions.flatMap((action) =>
        'operations' in action ? action.operations.map((operation) => operation.operationId) : [],
      ),
    );

    expect([...inCatalog].sort()).toEqual([...inClient].sort());
    const createTask = catalog.actions.find((action) => action.name === 'createContactTask');
    expect(createTask).toMatchObject({
      scopes: ['contacts.write'],
      operations: [
        { operationId: 'create-task', method: 'POST', path: '/contacts/{contactId}/tasks' },
      ],
    });
    const getContact = catalog.actions.find((action) => action.name === 'getContact');
    expect(getContact?.scopes).toEqual(['contacts.readonly']);
  });

  it('lists every webhook event type the ingress routes, and the schedules', () => {
    const ingressSource = read('apps/webhook-ingress/src/webhooks/events/ghl-event-catalog.ts');
    const routes = ingressSource.slice(ingressSource.indexOf('EVENT_ROUTES'));
    const routed = [...routes.matchAll(/^ {2}([A-Za-z]+): (?:syncWorker|authService)\(/gm)].map(
      (m) => m[1],
    );
    const webhooks = catalog.triggers.flatMap((trigger) =>
      trigger.kind === 'webhook' ? [trigger.eventType] : [],
    );
    const schedules = catalog.triggers.flatMap((trigger) =>
      trigger.kind === 'schedule' ? [trigger.name] : [],
    );

    expect(webhooks.sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    expect(webhooks.sort()).toEqual(routed.sort());
    expect(schedules).toEqual(['nightly-full-sync', 'stale-lead-scan']);
  });

  it('lists the rule actions, triggers and built-in rules', () => {
    expect(catalog.actions.map((action) => action.name)).toEqual(
      expect.arrayContaining(['create-follow-up', 'notify-team', 'schedule-reminder']),
    );
    expect(catalog.rules.map((rule) => rule.id)).toEqual(
      expect.arrayContaining(['new-lead-follow-up', 'stale-lead-nudge']),
    );
  });

  it('answers only to the service token', async () => {
    const response = await fetch(`${harness.url}/api/v1/catalog`);

    expect(response.status).toBe(401);
  });
});
