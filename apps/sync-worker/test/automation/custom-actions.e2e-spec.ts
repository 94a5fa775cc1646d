import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  CUSTOM_ACTIONS,
  CustomActionContext,
  CustomActionRegistry,
} from '../../src/automation/actions/custom-actions';
import {
  AutomationHarness,
  connect,
  contactEvent,
  deliver,
  saveContact,
  SERVICE_TOKEN,
  startAutomationHarness,
} from './automation-harness';

const FILE_LOCATION = 'AutoE2eFileLocation';
const OTHER_LOCATION = 'AutoE2eOtherLocatio';

const operatorFile = `
rules:
  - id: vip-crm-push
    name: Push VIP leads to the CRM
    trigger: { event: contact.created }
    conditions:
      - { field: contact.tags, includesAny: [vip] }
    actions:
      - { type: custom, name: crm-push, with: { list: vip } }
locations:
  ${FILE_LOCATION}:
    vip-crm-push: { enabled: true }
    new-lead-follow-up:
      enabled: true
      overrides: { actions: [{ title: 'Ring {{contact.name}}' }] }
`;

describe('rules enabled by configuration, and custom actions', () => {
  let harness: AutomationHarness;
  const calls: CustomActionContext[] = [];

  const followUps = (locationId: string) =>
    harness.dataSource.query('SELECT title FROM solarmarket_tasks WHERE location_id = $1', [
      locationId,
    ]);

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'automation-'));
    const file = path.join(dir, 'automation.yaml');
    writeFileSync(file, operatorFile);
    harness = await startAutomationHarness({
      AUTOMATION_RULES_FILE: file,
      AUTOMATION_ENABLED_RULES: 'stale-lead-nudge',
    });
    harness.app
      .get<CustomActionRegistry>(CUSTOM_ACTIONS, { strict: false })
      .register('crm-push', async (context) => {
        calls.push(context);
        return { pushed: true };
      });
    await connect(harness, FILE_LOCATION, ['contacts.readonly']);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('runs a custom action once per contact, with the rule file’s parameters', async () => {
    await saveContact(harness, { locationId: FILE_LOCATION, id: 'vip-1', tags: ['vip'] });
    await saveContact(harness, { locationId: OTHER_LOCATION, id: 'vip-2', tags: ['vip'] });

    const event = contactEvent(FILE_LOCATION, 'vip-1');
    await deliver(harness, [event, contactEvent(FILE_LOCATION, 'vip-1'), event]);
    await deliver(harness, [contactEvent(OTHER_LOCATION, 'vip-2')]);

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      locationId: FILE_LOCATION,
      contactId: 'vip-1',
      action: { name: 'crm-push', with: { list: 'vip' } },
      isRetry: false,
    });
    const [effect] = await harness.dataSource.query(
      "SELECT outcome FROM automation_effects WHERE rule_id = 'vip-crm-push'",
    );
    expect(effect.outcome).toEqual({ pushed: true });
  });

  it('applies the file’s per-location tuning, and leaves other locations alone', async () => {
    expect(await followUps(FILE_LOCATION)).toEqual([{ title: 'Ring Ada Lovelace' }]);
    expect(await followUps(OTHER_LOCATION)).toEqual([]);
  });

  it('reports where each setting came from', async () => {
    await connect(harness, OTHER_LOCATION, ['contacts.readonly']);

    const response = await fetch(
      `${harness.url}/api/v1/automation/locations/${OTHER_LOCATION}/rules`,
      { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } },
    );
    const { settings } = (await response.json()) as { settings: unknown[] };

    expect(settings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleId: 'stale-lead-nudge', enabled: true, source: 'env' }),
        expect.objectContaining({ ruleId: 'vip-crm-push', enabled: false, source: 'default' }),
      ]),
    );
  });
});
