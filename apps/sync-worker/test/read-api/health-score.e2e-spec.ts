import type { GhlAppointment, GhlContact, GhlNote, GhlTask } from '@sm/ghl-client';
import { Connection, ConnectionStatus } from '@sm/entities';
import { buildSyncCompletedEvent } from '@sm/sync-events';
import { eventually } from '@sm/testing';

import { RecordWriter } from '../../src/records/record-writer.service';
import {
  appointmentRow,
  contactRow,
  FetchContext,
  noteRow,
  taskRow,
} from '../../src/records/record-mappers';
import { ReadApiStack, SERVICE_TOKEN, startReadApiStack } from './read-api-harness';

const LOCATION = 'SMhealthScoreLoc0001';
const KEY = 'health-score-key-0123456789abcdef012345';
const CONTACT = 'score-contact-1';
const DAY = 86_400_000;
const fromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();
let version = Date.now() - 60_000;
/** Each write a newer version than the last, as GHL's dateUpdated would be. */
const next = (): FetchContext => ({
  locationId: LOCATION,
  fetchedAt: new Date((version += 1_000)),
  timeZone: 'UTC',
});

const contact = (overrides: Partial<GhlContact> = {}): GhlContact => ({
  id: CONTACT,
  locationId: LOCATION,
  firstName: 'Grace',
  email: null as unknown as string,
  phone: null as unknown as string,
  tags: [],
  dateAdded: fromNow(-60),
  ...overrides,
});

type Factors = Record<string, number>;

describe('the health score of a contact', () => {
  let stack: ReadApiStack;

  /** A record change and the sync-completed event the sync engine writes with it. */
  const change = async (write: () => Promise<void>) => {
    await write();
    const writer = stack.app.get(RecordWriter);
    await writer.transaction((manager) =>
      writer.addOutboxEvent(
        manager,
        buildSyncCompletedEvent({
          locationId: LOCATION,
          scope: 'contact',
          contactId: CONTACT,
          trigger: 'webhook',
        }),
      ),
    );
  };
  const scoreOf = async () => {
    const answer = await stack.get(
      `/api/v1/locations/${LOCATION}/contacts/${CONTACT}/health-score`,
      KEY,
    );

    return answer.body as {
      current: { score: number; factors: { factor: string; points: number }[]; trigger: string };
      history: { score: number; trigger: string }[];
    };
  };
  const factorsOf = (body: Awaited<ReturnType<typeof scoreOf>>): Factors =>
    Object.fromEntries(body.current.factors.map((factor) => [factor.factor, factor.points]));
  /** Waits until the recomputed score says what the test expects of it. */
  const scoreWhere = (expected: (factors: Factors) => boolean, what: string) =>
    eventually(
      async () => {
        const body = await scoreOf();
        return body.current && expected(factorsOf(body)) ? body : undefined;
      },
      10_000,
      what,
    );

  beforeAll(async () => {
    stack = await startReadApiStack([{ name: 'scores', key: KEY, locations: [LOCATION] }]);
    await stack.dataSource
      .getRepository(Connection)
      .save({ locationId: LOCATION, status: ConnectionStatus.Active, scopes: [] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('starts low for a contact nobody can reach and nobody touched', async () => {
    await change(() => stack.writeContacts([contactRow(contact(), next())]));

    const body = await scoreWhere(() => true, 'a first score');
    expect(body.current.score).toBe(20);
    expect(factorsOf(body)).toEqual({
      recency: 0,
      overdueTasks: 20,
      nextAppointment: 0,
      reachability: 0,
      stageTags: 0,
    });
  });

  it('gains reachability with an email, and loses it again under DND', async () => {
    await change(() =>
      stack.writeContacts([contactRow(contact({ email: 'g@example.com' }), next())]),
    );
    await scoreWhere((factors) => factors.reachability === 15, 'reachable');

    await change(() =>
      stack.writeContacts([contactRow(contact({ email: 'g@example.com', dnd: true }), next())]),
    );
    const body = await scoreWhere((factors) => factors.reachability === 0, 'DND');
    expect(body.current.score).toBe(20);
  });

  it('follows a stage tag', async () => {
    await change(() =>
      stack.writeContacts([
        contactRow(contact({ email: 'g@example.com', tags: ['warm'] }), next()),
      ]),
    );

    const body = await scoreWhere((factors) => factors.stageTags === 9, 'stage tag');
    expect(body.current.score).toBe(44);
  });

  it('gains recency from a fresh note', async () => {
    await change(() =>
      stack.writeChildren('notes', [
        noteRow({ id: 'n-1', body: 'Called', dateAdded: fromNow(0) } as GhlNote, CONTACT, next()),
      ]),
    );

    await scoreWhere((factors) => factors.recency === 30, 'recency');
  });

  it('loses points for overdue open tasks, and gets them back when they are done', async () => {
    const overdue = (id: string, completed = false) =>
      taskRow(
        { id, title: 'Send quote', dueDate: fromNow(-2), completed } as GhlTask,
        CONTACT,
        next(),
      );
    await change(() => stack.writeChildren('tasks', [overdue('t-1'), overdue('t-2')]));
    await scoreWhere((factors) => factors.overdueTasks === 6.7, 'two overdue tasks');

    await change(() => stack.writeChildren('tasks', [overdue('t-1', true), overdue('t-2', true)]));

    await scoreWhere((factors) => factors.overdueTasks === 20, 'no overdue task');
  });

  it('gives the appointment points for a booked next appointment, none if cancelled', async () => {
    const appointment = (status: string) =>
      appointmentRow(
        {
          id: 'a-1',
          contactId: CONTACT,
          appointmentStatus: status,
          startTime: fromNow(3),
          dateUpdated: next().fetchedAt.toISOString(),
        } as GhlAppointment,
        CONTACT,
        next(),
      );
    await change(() => stack.writeChildren('appointments', [appointment('booked')]));
    await scoreWhere((factors) => factors.nextAppointment === 20, 'booked');

    await change(() => stack.writeChildren('appointments', [appointment('cancelled')]));

    await scoreWhere((factors) => factors.nextAppointment === 0, 'cancelled');
  });

  it('keeps a history row per change of score, none for a replayed event', async () => {
    const before = (await scoreOf()).history.length;

    await change(async () => undefined);
    await change(async () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 600));

    const body = await scoreOf();
    expect(body.history.length).toBe(before);
    expect(body.history[0].score).toBe(body.current.score);
    expect(before).toBeGreaterThanOrEqual(8);
  });

  it('refreshes from GHL on demand: the live contact scored with the stored children', async () => {
    stack.ghl.contacts.set(CONTACT, contact({ phone: '+14155552671', tags: ['customer'] }));

    const answer = await stack.send(
      'POST',
      `/api/v1/locations/${LOCATION}/contacts/${CONTACT}/health-score/refresh`,
      {},
      KEY,
    );

    expect(answer.status).toBe(200);
    expect(answer.body.trigger).toBe('refresh');
    const factors = Object.fromEntries(
      answer.body.factors.map((factor: { factor: string; points: number }) => [
        factor.factor,
        factor.points,
      ]),
    );
    expect(factors).toMatchObject({ reachability: 15, stageTags: 15, recency: 30 });
    expect((await scoreOf()).history[0].trigger).toBe('refresh');
  });

  it('answers 429 with Retry-After to a second refresh of a contact, no GHL call', async () => {
    const path = `/api/v1/locations/${LOCATION}/contacts/${CONTACT}/health-score/refresh`;
    const callsBefore = stack.ghl.requested.length;

    const again = await stack.send('POST', path, {}, KEY);

    expect(again.status).toBe(429);
    const retryAfter = Number(again.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(again.body).toMatchObject({ statusCode: 429, retryAfterSeconds: retryAfter });
    expect(stack.ghl.requested.length).toBe(callsBefore);
  });

  it('answers 404 to a refresh of a contact SolarMarket does not hold, no GHL call', async () => {
    const callsBefore = stack.ghl.requested.length;

    const answers = [];
    for (let n = 0; n < 5; n += 1) {
      const path = `/api/v1/locations/${LOCATION}/contacts/random${n}/health-score/refresh`;
      answers.push(await stack.send('POST', path, {}, KEY));
    }

    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404]);
    expect(answers[0].body.message).toBe('no such contact');
    expect(stack.ghl.requested.length).toBe(callsBefore);
  });

  it('answers 404 to a refresh of a contact GHL no longer has, and tombstones it', async () => {
    await stack.writeContacts([contactRow(contact({ id: 'gone-contact' }), next())]);

    const answer = await stack.send(
      'POST',
      `/api/v1/locations/${LOCATION}/contacts/gone-contact/health-score/refresh`,
      {},
      KEY,
    );

    expect(answer.status).toBe(404);
    expect(answer.body.message).toBe('GHL has no such contact');
    expect(stack.ghl.requested).toContain('/contacts/gone-contact');
    // Handed to the sync engine, whose contact sync tombstones it: no longer served as live.
    const tombstoned = await eventually(async () => {
      const [row]: { deleted_at: Date | null }[] = await stack.dataSource.query(
        'SELECT deleted_at FROM contacts WHERE location_id = $1 AND id = $2',
        [LOCATION, 'gone-contact'],
      );

      return row?.deleted_at ?? undefined;
    }, 15_000);
    expect(tombstoned).toBeInstanceOf(Date);
  });

  it("takes a location's weights from an admin, validated, and rescores with them", async () => {
    const path = `/api/v1/locations/${LOCATION}/health-score/settings`;
    const weights = { recency: 0, overdueTasks: 0, nextAppointment: 0, reachability: 0 };

    const refused = await stack.send(
      'PUT',
      path,
      { weights: { ...weights, stageTags: 50 } },
      SERVICE_TOKEN,
    );
    const notAdmin = await stack.send(
      'PUT',
      path,
      { weights: { ...weights, stageTags: 100 } },
      KEY,
    );
    const saved = await stack.send(
      'PUT',
      path,
      { weights: { ...weights, stageTags: 100 } },
      SERVICE_TOKEN,
    );

    expect(refused.status).toBe(400);
    expect(notAdmin.status).toBe(401);
    expect(saved.status).toBe(200);
    expect((await stack.get(path, KEY)).body.weights.stageTags).toBe(100);
    const body = await scoreOf();
    expect(body.current.trigger).toBe('settings');
    expect(body.current.score).toBe(60); // the stored contact is 'warm': 0.6 of 100
  });

  it('answers 400 to settings without a JSON object body, and keeps the stored ones', async () => {
    const path = `/api/v1/locations/${LOCATION}/health-score/settings`;
    const before = (await stack.get(path, KEY)).body;
    const put = (init: RequestInit) =>
      fetch(`${stack.url}${path}`, {
        method: 'PUT',
        ...init,
        headers: { authorization: `Bearer ${SERVICE_TOKEN}`, ...init.headers },
      });

    const answers = [
      await put({}),
      await put({ headers: { 'content-type': 'text/plain' }, body: '{"recencyFullDays":1}' }),
      await put({ headers: { 'content-type': 'application/json' }, body: '[1]' }),
    ];

    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { message: string[] }).message).toEqual([
        'body must be a JSON object, sent with content-type: application/json',
      ]);
    }
    expect((await stack.get(path, KEY)).body).toEqual(before);
  });

  it('answers 404 for the settings of a location not the key’s, or never installed', async () => {
    const weights = { recency: 20, overdueTasks: 20, nextAppointment: 20, reachability: 20 };
    const unknown = 'SMnoSuchLocation0001';

    const read = await stack.get(`/api/v1/locations/${unknown}/health-score/settings`, KEY);
    const saved = await stack.send(
      'PUT',
      `/api/v1/locations/${unknown}/health-score/settings`,
      { weights: { ...weights, stageTags: 20 } },
      SERVICE_TOKEN,
    );
    const malformed = await stack.send(
      'PUT',
      `/api/v1/locations/a%20b/health-score/settings`,
      { weights: { ...weights, stageTags: 20 } },
      SERVICE_TOKEN,
    );

    expect([read.status, saved.status, malformed.status]).toEqual([404, 404, 400]);
    expect(read.body.message).toBe('no such location');
  });
});
