import { StaleLeadScan } from '../../src/automation/stale-leads/stale-lead-scan.service';

import {
  AutomationHarness,
  connect,
  enableRule,
  saveContact,
  startAutomationHarness,
} from './automation-harness';

const LOCATION = 'AutoE2eStaleCap0001';
const DAY_MS = 24 * 3_600_000;

describe('stale-lead scan cap', () => {
  let harness: AutomationHarness;

  const nudged = async () =>
    (
      await harness.dataSource.query(
        `SELECT contact_id FROM solarmarket_tasks
         WHERE location_id = $1 AND rule_id = 'stale-lead-nudge' ORDER BY contact_id`,
        [LOCATION],
      )
    ).map((row: { contact_id: string }) => row.contact_id);

  beforeAll(async () => {
    harness = await startAutomationHarness({ AUTOMATION_STALE_SCAN_CAP: '2' });
    await connect(harness, LOCATION, ['contacts.readonly']);
    expect((await enableRule(harness, LOCATION, 'stale-lead-nudge')).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('nudges at most the cap per run, and the rest on the next runs', async () => {
    const month = new Date(Date.now() - 30 * DAY_MS);
    for (const id of ['cap-a', 'cap-b', 'cap-c']) {
      await saveContact(harness, {
        locationId: LOCATION,
        id,
        ghlDateAdded: month,
        ghlDateUpdated: month,
      });
    }
    const scan = harness.app.get(StaleLeadScan, { strict: false });

    const first = await scan.scan({ locationId: LOCATION });
    const afterFirst = await nudged();
    const second = await scan.scan({ locationId: LOCATION });
    const third = await scan.scan({ locationId: LOCATION });

    expect(first).toBe(2);
    expect(afterFirst).toEqual(['cap-a', 'cap-b']);
    expect(second).toBe(1);
    expect(third).toBe(0);
    expect(await nudged()).toEqual(['cap-a', 'cap-b', 'cap-c']);
  });
});
