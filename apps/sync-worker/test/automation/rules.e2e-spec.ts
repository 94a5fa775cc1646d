import { JobName, TeamNoticeJob } from '@sm/queues';

import { EffectLedger } from '../../src/automation/effects/effect-ledger.service';
import { eventually } from '@sm/testing';

import {
  AutomationHarness,
  connect,
  contactEvent,
  deliver,
  drained,
  enableRule,
  saveAppointment,
  saveContact,
  saveTask,
  SERVICE_TOKEN,
  startAutomationHarness,
} from './automation-harness';

const LOCATION = 'AutoE2eLocation0001';
const DAY_MS = 24 * 3_600_000;

describe('automation rules (exactly once under duplicated and reordered events)', () => {
  let harness: AutomationHarness;

  const followUps = (contactId: string) =>
    harness.dataSource.query(
      'SELECT rule_id, title, assigned_to, due_date FROM solarmarket_tasks WHERE contact_id = $1',
      [contactId],
    );
  const jobsNamed = async (name: string) =>
    (
      await harness.queues.notifications.getJobs(['waiting', 'delayed', 'completed', 'failed'])
    ).filter((job) => job.name === name);

  beforeAll(async () => {
    harness = await startAutomationHarness();
    await connect(harness, LOCATION, ['contacts.readonly']);
    for (const ruleId of ['task-completed-team-notice', 'no-show-follow-up', 'stale-lead-nudge']) {
      expect((await enableRule(harness, LOCATION, ruleId)).status).toBe(200);
    }
    const tuned = await enableRule(harness, LOCATION, 'new-lead-follow-up', {
      conditions: [{ field: 'contact.tags', includesAny: ['solar-lead'] }],
    });
    expect(tuned.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('creates one new-lead follow-up however often and in whatever order events come', async () => {
    const contact = await saveContact(harness, {
      locationId: LOCATION,
      id: 'lead-1',
      assignedTo: 'user-7',
      tags: [],
    });
    const first = contactEvent(LOCATION, contact.id);
    // An update seen before the tag that makes the contact match: nothing yet.
    await deliver(harness, [first, first]);
    expect(await followUps(contact.id)).toHaveLength(0);

    await saveContact(harness, { ...contact, tags: ['Solar-Lead'] });
    const again = Array.from({ length: 5 }, () => contactEvent(LOCATION, contact.id));
    await deliver(harness, [...again, first]);
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);

    const tasks = await followUps(contact.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      rule_id: 'new-lead-follow-up',
      title: 'Follow up with new lead Ada Lovelace',
      assigned_to: 'user-7',
    });
  });

  it('does not take a contact created long before for a new lead', async () => {
    const old = await saveContact(harness, {
      locationId: LOCATION,
      id: 'lead-old',
      tags: ['solar-lead'],
      ghlDateAdded: new Date(Date.now() - 3 * DAY_MS),
    });

    await deliver(harness, [contactEvent(LOCATION, old.id)]);

    expect(await followUps(old.id)).toHaveLength(0);
  });

  it('sends one task-completed notice per completed task', async () => {
    const contact = await saveContact(harness, { locationId: LOCATION, id: 'lead-2' });
    const completedAt = new Date();
    await saveTask(harness, {
      locationId: LOCATION,
      id: 'task-2',
      contactId: contact.id,
      completed: true,
      completedAt,
    });

    const event = contactEvent(LOCATION, contact.id);
    await deliver(harness, [event, contactEvent(LOCATION, contact.id), event]);
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);

    const notices = (await jobsNamed(JobName.TaskCompleted)).filter(
      (job) => job.data.taskId === 'task-2',
    );
    expect(notices.map((job) => job.id)).toEqual([
      `task-completed.${LOCATION}.task-2.${completedAt.getTime()}`,
    ]);
  });

  it('notifies again for a task completed, reopened and completed again; once each', async () => {
    const contact = await saveContact(harness, { locationId: LOCATION, id: 'lead-2b' });
    const task = { locationId: LOCATION, id: 'task-2b', contactId: contact.id };
    // Both after the rule was switched on: completions from before it are not its news.
    const firstAt = new Date();
    const againAt = new Date(firstAt.getTime() + 1_000);

    await saveTask(harness, { ...task, completed: true, completedAt: firstAt });
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);
    await saveTask(harness, { ...task, completed: false, completedAt: null });
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);
    await saveTask(harness, { ...task, completed: true, completedAt: againAt });
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);

    const notices = (await jobsNamed(JobName.TaskCompleted)).filter(
      (job) => job.data.taskId === 'task-2b',
    );
    expect(notices.map((job) => job.id).sort()).toEqual([
      `task-completed.${LOCATION}.task-2b.${firstAt.getTime()}`,
      `task-completed.${LOCATION}.task-2b.${againAt.getTime()}`,
    ]);
  });

  it('follows up a no-show once, and tells the team once', async () => {
    const contact = await saveContact(harness, { locationId: LOCATION, id: 'lead-3' });
    const appointment = await saveAppointment(harness, {
      locationId: LOCATION,
      id: 'appt-3',
      contactId: contact.id,
      status: 'noshow',
      startTime: new Date(Date.now() - 3_600_000),
    });

    await deliver(
      harness,
      Array.from({ length: 4 }, () => contactEvent(LOCATION, contact.id)),
    );
    await saveAppointment(harness, { ...appointment, status: 'showed' });
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);
    await saveAppointment(harness, { ...appointment, status: 'noshow' });
    await deliver(harness, [contactEvent(LOCATION, contact.id)]);

    const tasks = await followUps(contact.id);
    expect(tasks.map((task: { rule_id: string }) => task.rule_id)).toEqual(['no-show-follow-up']);
    const notices = (await jobsNamed(JobName.TeamNotices))
      .flatMap((job) => job.data.notices as TeamNoticeJob[])
      .filter((notice) => notice.contactId === contact.id);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      notice: 'no-show',
      subject: { kind: 'appointment', id: 'appt-3' },
    });
  });

  it('nudges a stale lead once from the nightly scan, however often it runs', async () => {
    const month = new Date(Date.now() - 30 * DAY_MS);
    const stale = await saveContact(harness, {
      locationId: LOCATION,
      id: 'lead-stale',
      ghlDateAdded: month,
      ghlDateUpdated: month,
    });
    const fresh = await saveContact(harness, {
      locationId: LOCATION,
      id: 'lead-fresh',
      ghlDateAdded: month,
      ghlDateUpdated: new Date(),
    });

    for (let run = 0; run < 3; run += 1) {
      await harness.queues.automation.add(JobName.ScanStaleLeads, { locationId: LOCATION });
    }
    await eventually(async () => ((await followUps(stale.id)).length > 0 ? true : undefined));
    await drained(harness.queues.automation);

    expect(await followUps(stale.id)).toHaveLength(1);
    expect(await followUps(fresh.id)).toHaveLength(0);
  });

  it('takes over a follow-up a failed try gave back: one task, due as first set', async () => {
    const ledger = harness.app.get(EffectLedger, { strict: false });
    const contact = await saveContact(harness, {
      locationId: LOCATION,
      id: 'takeover-1',
      tags: ['solar-lead'],
    });
    const firstDue = new Date(Math.floor(Date.now() / 1000) * 1000 + 3 * DAY_MS);
    const [earlier] = await ledger.claim([
      {
        locationId: LOCATION,
        ruleId: 'new-lead-follow-up',
        subjectKey: `contact:${contact.id}`,
        actionIndex: 0,
        contactId: contact.id,
        kind: 'create-follow-up',
        dueAt: firstDue,
      },
    ]);
    await ledger.release([earlier.id]);

    await deliver(harness, [contactEvent(LOCATION, contact.id)]);
    await deliver(harness, [
      contactEvent(LOCATION, contact.id),
      contactEvent(LOCATION, contact.id),
    ]);

    const tasks: Array<{ id: string; due_date: Date }> = await harness.dataSource.query(
      'SELECT id, due_date FROM solarmarket_tasks WHERE contact_id = $1',
      [contact.id],
    );
    const effects = await harness.dataSource.query(
      'SELECT id, status, attempts, outcome FROM automation_effects WHERE contact_id = $1',
      [contact.id],
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0].due_date.toISOString()).toBe(firstDue.toISOString());
    expect(effects).toEqual([
      {
        id: earlier.id,
        status: 'done',
        attempts: 2,
        outcome: { solarmarketTaskId: tasks[0].id },
      },
    ]);
  });

  it('records the SolarMarket task it made as the outcome of a new follow-up', async () => {
    const contact = await saveContact(harness, {
      locationId: LOCATION,
      id: 'outcome-1',
      tags: ['solar-lead'],
    });

    await deliver(harness, [
      contactEvent(LOCATION, contact.id),
      contactEvent(LOCATION, contact.id),
    ]);

    const [task] = await harness.dataSource.query(
      'SELECT id, effect_id FROM solarmarket_tasks WHERE contact_id = $1',
      [contact.id],
    );
    const effects = await harness.dataSource.query(
      'SELECT id, status, attempts, outcome FROM automation_effects WHERE contact_id = $1',
      [contact.id],
    );
    expect(effects).toEqual([
      { id: task.effect_id, status: 'done', attempts: 1, outcome: { solarmarketTaskId: task.id } },
    ]);
  });

  it('keeps one effect row per rule, subject and action', async () => {
    const [{ duplicates }] = await harness.dataSource.query(
      `SELECT count(*)::int AS duplicates FROM (
         SELECT 1 FROM solarmarket_tasks GROUP BY rule_id, contact_id HAVING count(*) > 1) d`,
    );

    expect(duplicates).toBe(0);
  });

  it('refuses the rule API without the service token and a tuning the schema rejects', async () => {
    const anonymous = await fetch(`${harness.url}/api/v1/automation/rules`);
    const invalid = await enableRule(harness, LOCATION, 'stale-lead-nudge', {
      trigger: { staleDays: 0 },
    });
    const settings = await fetch(`${harness.url}/api/v1/automation/locations/${LOCATION}/rules`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    }).then((response) => response.json() as Promise<{ settings: unknown[] }>);

    expect(anonymous.status).toBe(401);
    expect(invalid.status).toBe(422);
    const { errors } = (await invalid.json()) as { errors: string[] };
    expect(errors).toEqual([expect.stringMatching(/staleDays/)]);
    expect(settings.settings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleId: 'stale-lead-nudge', enabled: true, source: 'api' }),
        expect.objectContaining({ ruleId: 'appointment-reminder', enabled: false }),
      ]),
    );
  });

  it('keeps the other rules of a location whose stored tuning no longer fits', async () => {
    const location = 'AutoE2eLocation0002';
    await connect(harness, location, ['contacts.readonly']);
    expect((await enableRule(harness, location, 'task-completed-team-notice')).status).toBe(200);
    // Stored by an earlier release, or before the rule file changed: the API refuses it today.
    await harness.dataSource.query(
      `INSERT INTO automation_rule_settings (location_id, rule_id, enabled, overrides, enabled_at)
       VALUES ($1, 'new-lead-follow-up', true, '{"trigger": {"event": "contact.moved"}}', now())`,
      [location],
    );
    const contact = await saveContact(harness, { locationId: location, id: 'lead-misfit' });
    const completedAt = new Date();
    await saveTask(harness, {
      locationId: location,
      id: 'task-misfit',
      contactId: contact.id,
      completed: true,
      completedAt,
    });

    await deliver(harness, [contactEvent(location, contact.id)]);

    const notices = (await jobsNamed(JobName.TaskCompleted)).filter(
      (job) => job.data.taskId === 'task-misfit',
    );
    expect(notices.map((job) => job.id)).toEqual([
      `task-completed.${location}.task-misfit.${completedAt.getTime()}`,
    ]);
    expect(await followUps(contact.id)).toHaveLength(0);
  });

  it('runs no rule whose stored tuning names a field the contact has not', async () => {
    const location = 'AutoE2eLocation0003';
    await connect(harness, location, ['contacts.readonly']);
    // Stored before the API named unknown fields: `notEquals` on a field no contact has held
    // for every contact, so each new lead got a follow-up titled from an empty placeholder.
    await harness.dataSource.query(
      `INSERT INTO automation_rule_settings (location_id, rule_id, enabled, overrides, enabled_at)
       VALUES ($1, 'new-lead-follow-up', true, $2, now())`,
      [
        location,
        JSON.stringify({
          conditions: [{ field: 'contact.nmae', notEquals: 'x' }],
          actions: [{ title: 'Call {{contact.nmae}}' }],
        }),
      ],
    );
    const contact = await saveContact(harness, { locationId: location, id: 'lead-typo' });

    await deliver(harness, [contactEvent(location, contact.id)]);

    expect(await followUps(contact.id)).toEqual([]);
  });

  it('refuses a misspelt or malformed tuning (422, naming it), the stored one kept', async () => {
    const locationUrl = `${harness.url}/api/v1/automation/locations/${LOCATION}`;
    const ruleUrl = `${locationUrl}/rules/new-lead-follow-up`;
    const put = (body?: string, contentType?: string) =>
      fetch(ruleUrl, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${SERVICE_TOKEN}`,
          ...(contentType && { 'content-type': contentType }),
        },
        body,
      });
    const conditions = [{ field: 'contact.tags', includesAny: ['solar-lead'] }];
    const refused = async (body: unknown) => {
      const answer = await put(JSON.stringify(body), 'application/json');

      return {
        status: answer.status,
        errors: ((await answer.json()) as { errors: string[] }).errors,
      };
    };

    const misspelt = await refused({ enabled: true, overrides: { condition: conditions } });
    const junk = await refused({ enabled: true, overrides: 'junk' });
    const list = await refused({ enabled: true, overrides: [1] });
    const misspeltSetting = await refused({ enabled: true, override: { conditions } });
    const extraAction = await refused({ enabled: true, overrides: { actions: [{}, {}] } });
    const unknownField = await refused({
      enabled: true,
      overrides: { conditions: [{ field: 'contact.tag', includesAny: ['solar-lead'] }] },
    });
    const unknownPlaceholder = await refused({
      enabled: true,
      overrides: { actions: [{ title: 'Call {{contact.nmae}}' }] },
    });
    const noBody = await put();
    const text = await put('enabled=true', 'text/plain');

    expect(misspelt).toEqual({
      status: 422,
      errors: ['overrides.condition is not a tuning field (trigger, conditions, actions)'],
    });
    expect(junk.status).toBe(422);
    expect(junk.errors).toEqual([expect.stringMatching(/^overrides must be an object/)]);
    expect(list.errors).toEqual(junk.errors);
    expect(misspeltSetting).toEqual({
      status: 422,
      errors: ['override is unknown (a setting has enabled and overrides)'],
    });
    expect(extraAction.errors).toEqual([expect.stringMatching(/^overrides.actions has 2 entries/)]);
    expect(unknownField.status).toBe(422);
    expect(unknownField.errors).toEqual([
      expect.stringContaining(
        '/conditions/0/field contact.tag is not a contact field (did you mean contact.tags?)',
      ),
    ]);
    expect(unknownPlaceholder.status).toBe(422);
    expect(unknownPlaceholder.errors).toEqual([
      expect.stringMatching(/^\/actions\/0\/title \{\{contact\.nmae\}\}: contact\.nmae is not/),
    ]);
    expect([noBody.status, text.status]).toEqual([400, 400]);
    const listed = await fetch(`${locationUrl}/rules`, {
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
    const { settings } = (await listed.json()) as { settings: Array<Record<string, unknown>> };
    expect(settings.find((setting) => setting.ruleId === 'new-lead-follow-up')).toMatchObject({
      enabled: true,
      source: 'api',
      overrides: { conditions },
    });
  });

  it('stores a tuning whose text has NUL or half an emoji, each as U+FFFD', async () => {
    const locationUrl = `${harness.url}/api/v1/automation/locations/${LOCATION}`;
    const headers = {
      authorization: `Bearer ${SERVICE_TOKEN}`,
      'content-type': 'application/json',
    };
    // JSON.stringify writes both as escapes (\u0000, \ud83d), as a client's JSON would.
    const overrides = { actions: [{ title: 'Call \u0000 now \ud83d', body: 'ok \ud83c\udf1e' }] };

    const answer = await fetch(`${locationUrl}/rules/new-lead-follow-up`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ enabled: true, overrides }),
    });
    const listed = await fetch(`${locationUrl}/rules`, { headers });
    const { settings } = (await listed.json()) as { settings: Array<Record<string, unknown>> };

    expect(answer.status).toBe(200);
    expect(settings.find((setting) => setting.ruleId === 'new-lead-follow-up')).toMatchObject({
      overrides: { actions: [{ title: 'Call \ufffd now \ufffd', body: 'ok \ud83c\udf1e' }] },
    });
  });

  it('takes the service token only as a bearer credential', async () => {
    const rules = `${harness.url}/api/v1/automation/rules`;

    const bare = await fetch(rules, { headers: { authorization: SERVICE_TOKEN } });
    const bearer = await fetch(rules, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } });
    // The scheme's name is case-insensitive (RFC 9110).
    const lower = await fetch(rules, { headers: { authorization: `bearer ${SERVICE_TOKEN}` } });

    expect([bare.status, bearer.status, lower.status]).toEqual([401, 200, 200]);
  });

  it('refuses rules for a malformed location id (400) or one never installed (404)', async () => {
    const malformed = await enableRule(harness, 'a b', 'stale-lead-nudge');
    const unknown = await enableRule(harness, 'NoSuchLocation000001', 'stale-lead-nudge');
    const listed = await fetch(
      `${harness.url}/api/v1/automation/locations/NoSuchLocation000001/rules`,
      { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } },
    );

    expect([malformed.status, unknown.status, listed.status]).toEqual([400, 404, 404]);
    expect(((await malformed.json()) as { message: string[] }).message).toEqual([
      expect.stringMatching(/^locationId/),
    ]);
    const stored = await harness.dataSource.query(
      `SELECT 1 FROM automation_rule_settings WHERE location_id IN ('a b', 'NoSuchLocation000001')`,
    );
    expect(stored).toHaveLength(0);
  });

  it('lets a retry take over a released claim, and never a held or done one', async () => {
    const ledger = harness.app.get(EffectLedger, { strict: false });
    const request = {
      locationId: LOCATION,
      ruleId: 'new-lead-follow-up',
      subjectKey: 'contact:ledger-1',
      actionIndex: 0,
      contactId: 'ledger-1',
      kind: 'create-follow-up',
    };

    const [first] = await ledger.claim([request]);
    const whileHeld = await ledger.claim([request]);
    await ledger.release([first.id]);
    const [retry] = await ledger.claim([request]);
    await ledger.complete([retry.id], { done: true });
    const afterDone = await ledger.claim([request, request]);

    expect(first.isRetry).toBe(false);
    expect(whileHeld).toEqual([]);
    expect(retry).toMatchObject({ id: first.id, isRetry: true });
    expect(afterDone).toEqual([]);
  });
});
