import type { ServiceProcess } from '@sm/testing';

import {
  Listening,
  sandboxAccessToken,
  startSandbox,
  startTokenEndpoint,
} from '../sandbox-harness';

import {
  AutomationHarness,
  connect,
  contactEvent,
  deliver,
  enableRule,
  saveContact,
  SERVICE_TOKEN,
  startAutomationHarness,
} from './automation-harness';

const LOCATION = 'AutoE2eGhlWriter001';
const TITLE = 'Follow up with new lead Grace Hopper';

/** A sandbox token that may write contacts, from its real OAuth flow. */
function writeToken(sandboxUrl: string): Promise<string> {
  return sandboxAccessToken(sandboxUrl, LOCATION, 'contacts.readonly contacts.write');
}

/** The parts of the sandbox's answers this test reads. */
interface GhlAnswer {
  contacts: Array<{ id: string }>;
  tasks: Array<{ id: string; title: string }>;
}

describe('follow-ups in GHL (the connection may write contacts)', () => {
  let sandbox: { url: string; process: ServiceProcess };
  let tokenEndpoint: Listening;
  let harness: AutomationHarness;
  let token: string;

  const ghl = async (path: string): Promise<GhlAnswer> => {
    const response = await fetch(new URL(path, sandbox.url), {
      headers: { authorization: `Bearer ${token}`, version: '2021-07-28' },
    });

    return (await response.json()) as GhlAnswer;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ [LOCATION]: 2 });
    token = await writeToken(sandbox.url);
    tokenEndpoint = await startTokenEndpoint({
      serviceToken: SERVICE_TOKEN,
      token: async () => token,
    });
    harness = await startAutomationHarness({
      GHL_API_BASE_URL: sandbox.url,
      AUTH_SERVICE_URL: tokenEndpoint.url,
    });
    await connect(harness, LOCATION, ['contacts.readonly', 'contacts.write']);
    expect((await enableRule(harness, LOCATION, 'new-lead-follow-up')).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await harness?.close();
    await tokenEndpoint?.close();
    await sandbox?.process.stop();
  });

  it('creates one task with POST /contacts/:contactId/tasks under duplicate events', async () => {
    const listed = await ghl(`/contacts/?locationId=${LOCATION}&limit=1`);
    const contactId = listed.contacts[0].id;
    await saveContact(harness, {
      locationId: LOCATION,
      id: contactId,
      name: 'Grace Hopper',
      assignedTo: null,
    });

    const event = contactEvent(LOCATION, contactId);
    await deliver(harness, [event, contactEvent(LOCATION, contactId), event]);
    await deliver(harness, [contactEvent(LOCATION, contactId)]);

    const { tasks } = await ghl(`/contacts/${contactId}/tasks`);
    const followUps = tasks.filter((task) => task.title === TITLE);
    expect(followUps).toHaveLength(1);
    const [effect] = await harness.dataSource.query(
      "SELECT status, outcome FROM automation_effects WHERE rule_id = 'new-lead-follow-up'",
    );
    expect(effect).toEqual({ status: 'done', outcome: { ghlTaskId: followUps[0].id } });
    const [{ count }] = await harness.dataSource.query(
      'SELECT count(*)::int AS count FROM solarmarket_tasks',
    );
    expect(count).toBe(0);
  });
});
