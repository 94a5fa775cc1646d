import {
  createTestDatabase,
  freePort,
  TestDatabase,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '@sm/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { generateDemoSecrets } from '../src/demo-secrets';
import { RecordsProbe } from '../src/records';
import { SandboxControl } from '../src/sandbox-control';
import { DemoReport, runDemoScenario } from '../src/scenario';
import { Stack, startStack } from '../src/stack';
import {
  actualAppointmentRow,
  actualContactRow,
  actualNoteRow,
  actualTaskRow,
  byId,
  expectedAppointmentRow,
  expectedContactRow,
  expectedNoteRow,
  expectedTaskRow,
} from './field-comparison';

jest.setTimeout(300_000);

describe('the main job, end to end (sandbox, four services, real Postgres and Redis)', () => {
  let database: TestDatabase;
  let stack: Stack;
  let probe: RecordsProbe;
  let report: DemoReport;
  const secrets = generateDemoSecrets();

  beforeAll(async () => {
    database = await createTestDatabase();
    stack = await startStack({
      databaseUrl: database.url,
      redisUrl: TEST_REDIS_URL,
      queuePrefix: uniqueQueuePrefix('e2e'),
      secrets,
      ports: {
        sandbox: await freePort(),
        auth: await freePort(),
        ingress: await freePort(),
        sync: await freePort(),
        notification: await freePort(),
      },
      stateDir: mkdtempSync(path.join(tmpdir(), 'sm-e2e-')),
      contacts: 150,
      sandboxBurstLimit: 1000,
      logLevel: 'debug',
    });
    probe = await RecordsProbe.connect(database.url);
    report = await runDemoScenario(stack, probe, Date.now());
  });

  afterAll(async () => {
    await probe?.close();
    await stack?.stop();
    await database?.drop();
  });

  it('connects the location with read-only contact access by default', () => {
    expect(report.scopes).toContain('contacts.readonly');
    expect(report.scopes).not.toContain('contacts.write');
  });

  it('holds every contact, task, note and appointment of the sandbox, field by field', async () => {
    const sandbox = await new SandboxControl(stack.urls.sandbox).export(stack.locationId);
    const kinds = [
      ['contacts', expectedContactRow, actualContactRow],
      ['tasks', expectedTaskRow, actualTaskRow],
      ['notes', expectedNoteRow, actualNoteRow],
      ['appointments', expectedAppointmentRow, actualAppointmentRow],
    ] as const;

    for (const [kind, expected, actual] of kinds) {
      const rows = await probe.rows(kind, stack.locationId);

      expect(byId(rows.map(actual))).toEqual(byId(sandbox[kind].map(expected)));
    }
    expect(sandbox.contacts.length).toBeGreaterThan(100);
  });

  it('followed every change through the signed webhooks', () => {
    expect(report.inSync).toBe(true);
    expect(report.webhooks.sent).toBeGreaterThanOrEqual(6);
    expect(report.webhooks.accepted).toBeGreaterThanOrEqual(report.webhooks.sent);
  });

  it('refuses a delivery with a bad signature and stores nothing of it', () => {
    expect(report.webhooks.forgedRefused).toBe(true);
  });

  it('notified the team that the task was completed', () => {
    const messages = stack.chat.on('team');

    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0].body)).toContain(stack.locationId);
  });

  it('delivered a sync-completed event for the location and each changed contact', () => {
    const events = stack.syncEvents;
    const contactsSynced = new Set(
      events.filter((e) => e.scope === 'contact').map((e) => e.contactId),
    );

    expect(events.filter((event) => event.scope === 'location')).toHaveLength(1);
    expect(contactsSynced.size).toBeGreaterThanOrEqual(3);
    expect(report.syncCompleted.received).toBe(report.syncCompleted.published);
  });

  it("serves the read API to the demo's own key, for the demo location", async () => {
    const read = (key: string) =>
      fetch(`${stack.urls.sync}/api/v1/contacts?limit=5`, {
        headers: { authorization: `Bearer ${key}` },
      });

    const answer = await read(secrets.readApiKey);
    const page = (await answer.json()) as { data: { locationId: string }[] };

    expect(answer.status).toBe(200);
    expect(page.data.map((contact) => contact.locationId)).toEqual(Array(5).fill(stack.locationId));
    expect((await read(secrets.serviceToken)).status).toBe(401);
  });

  it('never wrote a token or an OAuth code to any log', async () => {
    const response = await fetch(
      `${stack.urls.auth}/internal/locations/${stack.locationId}/access-token`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.serviceToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ forceRefresh: false }),
      },
    );
    const { accessToken } = (await response.json()) as { accessToken: string };
    const logs = Object.values(stack.processes)
      .map((service) => service.output())
      .join('\n');

    expect(accessToken.length).toBeGreaterThan(10);
    expect(logs).not.toContain(accessToken);
    expect(logs).not.toContain(stack.serviceToken);
    expect(logs).not.toMatch(/"(access_token|refresh_token|accessToken|refreshToken)":"[^[]/);
    expect(logs).not.toMatch(/code=[A-Za-z0-9]/);
  });
});
