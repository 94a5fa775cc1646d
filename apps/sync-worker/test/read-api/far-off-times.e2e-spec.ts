import type { GhlContact, GhlTask } from '@sm/ghl-client';

import { contactRow, FetchContext, taskRow } from '../../src/records/record-mappers';
import { ReadApiStack, startReadApiStack } from './read-api-harness';

const LOCATION = 'SMfarOffTimes0000001';
const KEY = 'far-off-times-key-0123456789abcdef0123';
/** A timeline cursor's position of a stored entry (row id 1). */
const STORED_POSITION = '1:0000000000000000001';
const fetched: FetchContext = {
  locationId: LOCATION,
  fetchedAt: new Date('2026-01-01T10:00:00.000Z'),
  timeZone: 'UTC',
};

/**
 * Times of any year Postgres holds can be stored (a due date typed 20266-03-01, a birth year
 * of 0050 BC): the read API's cursors, which carry such times as ISO 8601 with six-digit years,
 * must page past them.
 */
describe('the read API around times outside the years 1-9999', () => {
  let stack: ReadApiStack;
  const contact = (id: string, dateUpdated: string) =>
    contactRow({ id, locationId: LOCATION, firstName: id, dateUpdated } as GhlContact, fetched);

  beforeAll(async () => {
    stack = await startReadApiStack([{ name: 'far', key: KEY, locations: [LOCATION] }]);
    await stack.writeContacts([
      contact('far-past', '-000050-03-01T00:00:00.000Z'),
      contact('far-future', '+020266-03-01T00:00:00.000Z'),
      contact('ordinary', '2025-06-02T00:00:00.000Z'),
    ]);
    const task = (id: string, dueDate: string) =>
      taskRow(
        { id, contactId: 'ordinary', title: 'Call', dueDate, completed: false } as GhlTask,
        'ordinary',
        fetched,
      );
    await stack.writeChildren('tasks', [
      task('task-far-future', '+020266-03-01T00:00:00.000Z'),
      task('task-far-past', '-000050-03-01T00:00:00.000Z'),
    ]);
  }, 60_000);

  afterAll(() => stack?.stop());

  async function walk(path: (cursor: string | null) => string): Promise<number[]> {
    const statuses: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await stack.get(path(cursor), KEY);
      statuses.push(page.status);
      cursor = page.status === 200 ? page.body.nextCursor : null;
    } while (cursor && statuses.length < 20);

    return statuses;
  }

  it('pages the contacts one at a time past them', async () => {
    const statuses = await walk(
      (cursor) =>
        `/api/v1/contacts?locationId=${LOCATION}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
    );

    expect(statuses).toEqual([200, 200, 200]);
  });

  it.each(['desc', 'asc'])(
    'pages the timeline one entry at a time past them (%s)',
    async (order) => {
      const statuses = await walk(
        (cursor) =>
          `/api/v1/locations/${LOCATION}/contacts/ordinary/timeline?order=${order}&limit=1` +
          (cursor ? `&cursor=${cursor}` : ''),
      );

      expect(statuses.length).toBeGreaterThanOrEqual(4);
      expect(statuses.every((status) => status === 200)).toBe(true);
    },
  );

  const cursorOf = (values: string[]) => Buffer.from(JSON.stringify(values)).toString('base64url');

  it('answers 400 naming updatedSince to a time Postgres or the API does not take', async () => {
    const refused = [
      '0000-01-01T00:00:00Z',
      '0000-12-31T23:59:59.999+01:00',
      '+020266-01-01T00:00:00Z',
    ];

    const answers = await Promise.all(
      refused.map((since) =>
        stack.get(`/api/v1/contacts?updatedSince=${encodeURIComponent(since)}`, KEY),
      ),
    );

    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    for (const { body } of answers) {
      expect(body.message).toEqual([expect.stringMatching(/^updatedSince: /)]);
    }
  });

  it('takes an updatedSince of any offset, as the instant it names', async () => {
    const since = ['2025-06-02T23:59:00+23:59', '0001-01-01T00:00:00+01:00'];

    const answers = await Promise.all(
      since.map((value) =>
        stack.get(
          `/api/v1/contacts?locationId=${LOCATION}&updatedSince=${encodeURIComponent(value)}`,
          KEY,
        ),
      ),
    );

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const names = (body: { data: { firstName: string }[] }) => body.data.map((c) => c.firstName);
    expect(names(answers[0].body)).toEqual(['ordinary', 'far-future']);
    expect(names(answers[1].body)).toEqual(['ordinary', 'far-future']);
  });

  it('answers 400 naming cursor to a time before the first one Postgres holds', async () => {
    const timeline = `/api/v1/locations/${LOCATION}/contacts/ordinary/timeline?cursor=`;
    const contacts = `/api/v1/contacts?cursor=`;
    const beforePostgres = '-004713-11-23T23:59:59.999Z';
    const first = '-004713-11-24T00:00:00.000Z';

    const refused = await Promise.all([
      stack.get(`${contacts}${cursorOf([beforePostgres, LOCATION, 'x'])}`, KEY),
      stack.get(`${contacts}${cursorOf(['-271821-04-20T00:00:00.000Z', LOCATION, 'x'])}`, KEY),
      stack.get(`${timeline}${cursorOf([beforePostgres, STORED_POSITION])}`, KEY),
    ]);
    const held = await Promise.all([
      stack.get(`${contacts}${cursorOf([first, LOCATION, 'x'])}`, KEY),
      stack.get(`${contacts}${cursorOf(['+275760-09-13T00:00:00.000Z', LOCATION, 'x'])}`, KEY),
      stack.get(`${timeline}${cursorOf([first, STORED_POSITION])}&order=asc`, KEY),
    ]);

    expect(refused.map((answer) => answer.status)).toEqual([400, 400, 400]);
    for (const { body } of refused)
      expect(body.message).toEqual([expect.stringMatching(/^cursor/)]);
    expect(held.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(held[0].body.data.map((c: { firstName: string }) => c.firstName)).toEqual([
      'far-past',
      'ordinary',
      'far-future',
    ]);
    expect(held[1].body.data).toEqual([]);
  });
});
