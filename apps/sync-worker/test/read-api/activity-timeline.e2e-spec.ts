import type { GhlAppointment, GhlContact, GhlNote, GhlTask } from '@sm/ghl-client';

import {
  appointmentRow,
  contactRow,
  FetchContext,
  noteRow,
  taskRow,
} from '../../src/records/record-mappers';
import { ReadApiStack, startReadApiStack } from './read-api-harness';

const LOCATION = 'SMtimelineLocation01';
const KEY = 'timeline-key-0123456789abcdef0123456789';
const CONTACT = 'timeline-contact-1';
const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const hours = (n: number) => new Date(T0 + n * 3_600_000);
const isoAt = (n: number) => hours(n).toISOString();
const at = (n: number): FetchContext => ({
  locationId: LOCATION,
  fetchedAt: hours(n),
  timeZone: 'UTC',
});

const contact = (n: number, overrides: Partial<GhlContact>): GhlContact => ({
  id: CONTACT,
  locationId: LOCATION,
  firstName: 'Ada',
  email: 'ada@example.com',
  tags: ['lead'],
  dateAdded: isoAt(0),
  dateUpdated: isoAt(n),
  ...overrides,
});
const task = (overrides: Partial<GhlTask>): GhlTask => ({
  id: 'task-1',
  contactId: CONTACT,
  title: 'Call back about the roof survey',
  dueDate: isoAt(240),
  completed: false,
  ...overrides,
});
const appointment = (id: string, n: number, overrides: Partial<GhlAppointment>) =>
  ({
    id,
    contactId: CONTACT,
    calendarId: 'cal-1',
    title: 'Site visit',
    appointmentStatus: 'booked',
    startTime: isoAt(120),
    endTime: isoAt(121),
    dateUpdated: isoAt(n),
    ...overrides,
  }) as GhlAppointment;

describe('the activity timeline', () => {
  let stack: ReadApiStack;

  /** Every change of the story, written through the sync engine's writer, oldest first. */
  const story: (() => Promise<void>)[] = [
    () => stack.writeContacts([contactRow(contact(0, {}), at(0))]),
    () =>
      stack.writeChildren('notes', [
        noteRow(
          { id: 'note-1', body: 'Wants panels', dateAdded: isoAt(1) } as GhlNote,
          CONTACT,
          at(1),
        ),
      ]),
    () => stack.writeChildren('tasks', [taskRow(task({}), CONTACT, at(2))]),
    () =>
      stack.writeChildren('appointments', [
        appointmentRow(appointment('appt-1', 3, {}), CONTACT, at(3)),
      ]),
    () =>
      stack.writeChildren('appointments', [
        appointmentRow(appointment('appt-1', 4, { startTime: isoAt(144) }), CONTACT, at(4)),
      ]),
    () => stack.writeContacts([contactRow(contact(5, { tags: ['hot'] }), at(5))]),
    () => stack.writeChildren('tasks', [taskRow(task({ dueDate: isoAt(288) }), CONTACT, at(6))]),
    () =>
      stack.writeChildren('tasks', [
        taskRow(task({ dueDate: isoAt(288), completed: true }), CONTACT, at(6.5)),
      ]),
    () =>
      stack.writeChildren('appointments', [
        appointmentRow(
          appointment('appt-1', 7, { startTime: isoAt(144), appointmentStatus: 'showed' }),
          CONTACT,
          at(7),
        ),
      ]),
    () => stack.writeContacts([contactRow(contact(8, { tags: ['hot'], dnd: true }), at(8))]),
    () =>
      stack.writeChildren('appointments', [
        appointmentRow(appointment('appt-2', 8.5, {}), CONTACT, at(8.5)),
      ]),
    () =>
      stack.writeChildren('appointments', [
        appointmentRow(
          appointment('appt-2', 9, { appointmentStatus: 'cancelled' }),
          CONTACT,
          at(9),
        ),
      ]),
    () =>
      stack.writeChildren('appointments', [
        appointmentRow(
          appointment('appt-3', 9.5, { appointmentStatus: 'noshow' }),
          CONTACT,
          at(9.5),
        ),
      ]),
  ];
  const expectedAscending = [
    'contact.created',
    'note.added',
    'task.created',
    'appointment.booked',
    'appointment.moved',
    'contact.tags-added',
    'contact.tags-removed',
    'task.due-date-changed',
    'task.completed',
    'appointment.showed',
    'contact.dnd-on',
    'appointment.booked',
    'appointment.cancelled',
    'appointment.booked',
    'appointment.no-show',
    'task.due',
  ];

  /** The first page of a contact's timeline, oldest first. */
  const firstPageOf = async (
    contactId: string,
  ): Promise<{ id: string; kind: string; occurredAt: string }[]> => {
    const page = await stack.get(
      `/api/v1/locations/${LOCATION}/contacts/${contactId}/timeline?order=asc`,
      KEY,
    );

    return page.body.data;
  };

  const readAll = async (order: 'asc' | 'desc', limit: number) => {
    const entries: {
      id: string;
      kind: string;
      occurredAt: string;
      details: Record<string, unknown>;
    }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ order, limit: String(limit) });
      if (cursor) query.set('cursor', cursor);
      const page = await stack.get(
        `/api/v1/locations/${LOCATION}/contacts/${CONTACT}/timeline?${query}`,
        KEY,
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(limit);
      entries.push(...page.body.data);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);

    return { entries, pages };
  };

  beforeAll(async () => {
    stack = await startReadApiStack([{ name: 'timeline', key: KEY, locations: [LOCATION] }]);
    for (const step of story) await step();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('follows the record changes in the order they happened, one page at a time', async () => {
    const { entries, pages } = await readAll('asc', 4);

    expect(entries.map((entry) => entry.kind)).toEqual(expectedAscending);
    expect(pages).toBe(4);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
  });

  it('says what changed: tags, moves and the due date that moved with the task', async () => {
    const { entries } = await readAll('asc', 50);
    const byKind = (kind: string) => entries.filter((entry) => entry.kind === kind);

    expect(byKind('contact.tags-added')[0].details.tags).toEqual(['hot']);
    expect(byKind('contact.tags-removed')[0].details.tags).toEqual(['lead']);
    // Times inside the details are written as every other time of the API.
    expect(byKind('appointment.moved')[0].details).toMatchObject({
      from: isoAt(120),
      to: isoAt(144),
    });
    expect(byKind('task.created')[0].details.dueDate).toBe(isoAt(288));
    expect(byKind('task.due')).toHaveLength(1);
    expect(byKind('task.due')[0].occurredAt).toBe(isoAt(288));
    expect(byKind('task.completed')[0].occurredAt).toBe(isoAt(6.5));
    // Seen at the appointment's first write: read from its row, with the status it had then.
    expect(byKind('appointment.no-show')[0]).toMatchObject({
      id: 'appointment.no-show:appt-3',
      occurredAt: isoAt(9.5),
      details: { status: 'noshow', title: expect.any(String) },
    });
  });

  it('pages newest first by default, the same entries reversed', async () => {
    const { entries } = await readAll('desc', 5);

    expect(entries.map((entry) => entry.kind)).toEqual([...expectedAscending].reverse());
  });

  it('adds nothing for a replayed write or a newer version changing nothing watched', async () => {
    const before = await readAll('asc', 200);

    for (const step of story) await step();
    await stack.writeContacts([
      contactRow(contact(20, { tags: ['hot'], dnd: true, firstName: 'Ada B.' }), at(20)),
    ]);

    const after = await readAll('asc', 200);
    expect(after.entries).toEqual(before.entries);
  });

  it('records a deleted task', async () => {
    await stack.dataSource.query(
      `UPDATE contact_tasks SET deleted_at = $1, source_version_at = $1, synced_at = $1
       WHERE location_id = $2 AND id = 'task-1'`,
      [hours(30), LOCATION],
    );

    const { entries } = await readAll('desc', 3);
    expect(entries.find((entry) => entry.kind === 'task.deleted')?.occurredAt).toBe(isoAt(30));
  });

  it('reads a record first stored as a tombstone as created when GHL shows it', async () => {
    const contactId = 'timeline-contact-2';
    await stack.writeContacts([contactRow(contact(0, { id: contactId }), at(0))]);
    await stack.dataSource.query(
      `INSERT INTO contact_tasks (location_id, id, contact_id, source_version_at, deleted_at,
                                  synced_at)
       VALUES ($1, 'task-late', $2, $3, $3, $3)`,
      [LOCATION, contactId, hours(1)],
    );
    const shown = task({ id: 'task-late', contactId, dueDate: undefined, completed: true });
    await stack.writeChildren('tasks', [taskRow(shown, contactId, at(2))]);

    const entries = await firstPageOf(contactId);
    expect(entries.map((entry) => [entry.kind, entry.occurredAt])).toEqual([
      ['contact.created', isoAt(0)],
      ['task.created', isoAt(2)],
      ['task.completed', isoAt(2)],
    ]);
  });

  it('reads a task first seen completed as completed then, once, from its row', async () => {
    const contactId = 'timeline-contact-done';
    await stack.writeContacts([contactRow(contact(0, { id: contactId }), at(0))]);
    const done = task({ id: 'task-done', contactId, dueDate: undefined, completed: true });
    await stack.writeChildren('tasks', [taskRow(done, contactId, at(1))]);
    await stack.writeChildren('tasks', [taskRow(done, contactId, at(2))]);

    const entries = await firstPageOf(contactId);
    expect(entries.map((entry) => [entry.id, entry.occurredAt])).toEqual([
      [`contact.created:${contactId}`, isoAt(0)],
      ['task.created:task-done', isoAt(1)],
      ['task.completed:task-done', isoAt(1)],
    ]);
  });

  it("puts a contact's creation first among the entries of its instant", async () => {
    const contactId = 'timeline-contact-3';
    await stack.writeContacts([contactRow(contact(0, { id: contactId }), at(0))]);
    const note = { id: 'note-3', body: 'Called in', dateAdded: isoAt(0) } as GhlNote;
    await stack.writeChildren('notes', [noteRow(note, contactId, at(1))]);
    const booked = appointment('appt-4', 0, { contactId });
    await stack.writeChildren('appointments', [appointmentRow(booked, contactId, at(1))]);

    const entries = await firstPageOf(contactId);
    expect(entries.map((entry) => entry.kind)).toEqual([
      'contact.created',
      'note.added',
      'appointment.booked',
    ]);
    expect(new Set(entries.map((entry) => entry.occurredAt))).toEqual(new Set([isoAt(0)]));
  });

  it('pages past a record whose id holds a control character', async () => {
    const contactId = 'timeline-contact-4';
    await stack.writeContacts([contactRow(contact(0, { id: contactId }), at(0))]);
    const tasks = ['task\tA', 'task-B'].map((id, n) =>
      taskRow(task({ id, contactId, dueDate: undefined }), contactId, at(1 + n)),
    );
    for (const row of tasks) await stack.writeChildren('tasks', [row]);

    const recordIds: string[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({
        order: 'asc',
        limit: '1',
        ...(cursor ? { cursor } : {}),
      });
      const page = await stack.get(
        `/api/v1/locations/${LOCATION}/contacts/${contactId}/timeline?${query}`,
        KEY,
      );
      expect(page.status).toBe(200);
      recordIds.push(...page.body.data.map((entry: { recordId: string }) => entry.recordId));
      cursor = page.body.nextCursor;
    } while (cursor);

    expect(recordIds).toEqual([contactId, 'task\tA', 'task-B']);
  });

  it('refuses a cursor it did not give out', async () => {
    const page = await stack.get(
      `/api/v1/locations/${LOCATION}/contacts/${CONTACT}/timeline?cursor=not-a-cursor`,
      KEY,
    );

    expect(page.status).toBe(400);
  });

  it('answers 400 naming cursor to a crafted one, whatever its positions hold', async () => {
    const crafted = [
      '["x","y"]',
      '[1e400,"y"]',
      '["2026-01-01T10:00:00.000Z","y"]',
      '["2026-02-30T10:00:00.000Z","1:0000000000000000001"]',
      '["020266-01-01T00:00:00.000Z","1:0000000000000000001"]',
      '["-000000-01-01T00:00:00.000Z","1:0000000000000000001"]',
      '["2026-01-01T10:00:00.000Z","1"]',
      '["2026-01-01T10:00:00.000Z","1:1"]',
      '["2026-01-01T10:00:00.000Z","1:00000000000000000001"]',
      '["2026-01-01T10:00:00.000Z","05:task.edited:task-1"]',
      '["2026-01-01T10:00:00.000Z","0:task.due:task-1"]',
      '["2026-01-01T10:00:00.000Z","05:task.due:"]',
      `["2026-01-01T10:00:00.000Z","05:task.due:${'x'.repeat(65)}"]`,
      '["2026-01-01T10:00:00.000Z","03:note.added:a\\u0000b"]',
      '["2026-01-01T10:00:00.000Z",1]',
      '["2026-01-01T10:00:00.000Z"]',
    ];
    const path = `/api/v1/locations/${LOCATION}/contacts/${CONTACT}/timeline?cursor=`;
    const cursorOf = (json: string) => Buffer.from(json).toString('base64url');

    const answers = await Promise.all(
      crafted.map((json) => stack.get(`${path}${cursorOf(json)}`, KEY)),
    );

    expect(answers.map((answer) => answer.status)).toEqual(crafted.map(() => 400));
    for (const { body } of answers)
      expect(body.message).toEqual([expect.stringMatching(/^cursor/)]);
    const edges = ['1:9999999999999999999', '05:task.due:task-1'].map((position) =>
      stack.get(`${path}${cursorOf(`["9999-12-31T23:59:59.999Z","${position}"]`)}`, KEY),
    );
    expect((await Promise.all(edges)).map((edge) => edge.status)).toEqual([200, 200]);
  });
});
