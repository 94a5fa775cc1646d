import { GhlStandIn, startGhlStandIn } from '../support/ghl-stand-in';
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

/** The connection's scopes: it may write contacts. */
const WRITE_SCOPES = 'contacts.readonly contacts.write';

/** The parts of the sandbox's answers this test reads. */
interface GhlAnswer {
  contacts: Array<{ id: string }>;
  tasks: Array<{ id: string; title: string }>;
}

describe('follow-ups in GHL (the connection may write contacts)', () => {
  let standIn: GhlStandIn;
  let harness: AutomationHarness;
  let token: string;

  const ghl = async (path: string): Promise<GhlAnswer> => {
    const response = await fetch(new URL(path, standIn.sandbox.url), {
      headers: { authorization: `Bearer ${token}`, version: '2021-07-28' },
    });

    return (await response.json()) as GhlAnswer;
  };

  beforeAll(async () => {
    standIn = await startGhlStandIn({
      locations: { [LOCATION]: 2 },
      serviceToken: SERVICE_TOKEN,
      scopes: WRITE_SCOPES,
    });
    // A sandbox token from its real OAuth flow, the one the worker is handed too.
    token = await standIn.token(LOCATION);
    harness = await startAutomationHarness({
      GHL_API_BASE_URL: standIn.sandbox.url,
      AUTH_SERVICE_URL: standIn.tokens.url,
    });
    await connect(harness, LOCATION, WRITE_SCOPES.split(' '));
    expect((await enableRule(harness, LOCATION, 'new-lead-follow-up')).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await harness?.close();
    await standIn?.stop();
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
