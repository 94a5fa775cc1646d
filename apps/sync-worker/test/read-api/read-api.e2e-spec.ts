import type { GhlContact, GhlTask } from '@sm/ghl-client';

import { contactRow, FetchContext, taskRow } from '../../src/records/record-mappers';
import { ReadApiStack, startReadApiStack } from './read-api-harness';

const NORTH = 'SMreadApiNorth000001';
const SOUTH = 'SMreadApiSouth000001';
const NORTH_KEY = 'north-key-0123456789abcdef0123456789ab';
const SOUTH_KEY = 'south-key-0123456789abcdef0123456789ab';
const BOTH_KEY = 'both-key-0123456789abcdef0123456789abc';

const at = (locationId: string, iso: string): FetchContext => ({
  locationId,
  fetchedAt: new Date(iso),
  timeZone: 'UTC',
});
const ghlContact = (locationId: string, id: string, tags: string[], updated: string) =>
  contactRow(
    { id, locationId, firstName: id, tags, dateUpdated: updated } as GhlContact,
    at(locationId, updated),
  );

describe('the read API', () => {
  let stack: ReadApiStack;

  beforeAll(async () => {
    stack = await startReadApiStack([
      { name: 'north', key: NORTH_KEY, locations: [NORTH] },
      { name: 'south', key: SOUTH_KEY, locations: [SOUTH] },
      { name: 'both', key: BOTH_KEY, locations: [NORTH, SOUTH] },
    ]);
    await stack.writeContacts([
      ghlContact(NORTH, 'n-1', ['solar', 'hot'], '2026-01-01T00:00:00.000Z'),
      ghlContact(NORTH, 'n-2', ['solar'], '2026-01-02T00:00:00.000Z'),
      ghlContact(NORTH, 'n-3', ['battery'], '2026-01-03T00:00:00.000Z'),
      ghlContact(SOUTH, 's-1', ['solar', 'hot'], '2026-01-01T12:00:00.000Z'),
    ]);
    await stack.writeChildren('tasks', [
      taskRow(
        { id: 'st-1', title: 'South task' } as GhlTask,
        's-1',
        at(SOUTH, '2026-01-05T00:00:00Z'),
      ),
    ]);
    await stack.dataSource.query(
      `INSERT INTO contact_health_scores (location_id, contact_id, score, factors, trigger,
                                          computed_at)
       VALUES ($1, 'n-1', 80, '[]', 'sync', now()), ($1, 'n-2', 30, '[]', 'sync', now()),
              ($2, 's-1', 90, '[]', 'sync', now())`,
      [NORTH, SOUTH],
    );
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const ids = (body: { data: { id: string }[] }) => body.data.map((contact) => contact.id);

  it('lists only the contacts of the key’s own locations', async () => {
    const north = await stack.get('/api/v1/contacts', NORTH_KEY);
    const both = await stack.get('/api/v1/contacts?limit=200', BOTH_KEY);

    expect(ids(north.body)).toEqual(['n-1', 'n-2', 'n-3']);
    expect(ids(both.body)).toEqual(['n-1', 's-1', 'n-2', 'n-3']);
    expect(JSON.stringify(north.body)).not.toContain(SOUTH);
  });

  it('refuses to list another location (403) and shows none of its contacts (404)', async () => {
    const list = await stack.get(`/api/v1/contacts?locationId=${SOUTH}`, NORTH_KEY);
    const paths = [
      `/api/v1/locations/${SOUTH}/contacts/s-1`,
      `/api/v1/locations/${SOUTH}/contacts/s-1/timeline`,
      `/api/v1/locations/${SOUTH}/contacts/s-1/health-score`,
    ];
    const answers = await Promise.all(paths.map((path) => stack.get(path, NORTH_KEY)));
    const refresh = await stack.send(
      'POST',
      `/api/v1/locations/${SOUTH}/contacts/s-1/health-score/refresh`,
      {},
      NORTH_KEY,
    );

    expect(list.status).toBe(403);
    expect(list.body).not.toHaveProperty('data');
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404]);
    expect(JSON.stringify(answers.map((answer) => answer.body))).not.toContain('South task');
    expect(refresh.status).toBe(404);
  });

  it('answers 401 without a key or with one it does not know', async () => {
    const none = await stack.get('/api/v1/contacts');
    const unknown = await stack.get('/api/v1/contacts', 'not-a-configured-key-0123456789abcdef');

    expect([none.status, unknown.status]).toEqual([401, 401]);
  });

  it('shows a contact with its tasks, timeline and score to its own location', async () => {
    const answer = await stack.get(`/api/v1/locations/${SOUTH}/contacts/s-1`, SOUTH_KEY);

    expect(answer.status).toBe(200);
    expect(answer.body.tasks.map((task: { title: string }) => task.title)).toEqual(['South task']);
    expect(answer.body.healthScore.score).toBe(90);
    expect(answer.body.timeline.data.map((entry: { kind: string }) => entry.kind)).toEqual([
      'task.created',
      'contact.created',
    ]);
  });

  it('filters by tag, score range and updated-since', async () => {
    const byTag = await stack.get(`/api/v1/contacts?tag=solar&tag=hot`, BOTH_KEY);
    const byScore = await stack.get(`/api/v1/contacts?minScore=50&maxScore=85`, BOTH_KEY);
    const since = await stack.get(
      `/api/v1/contacts?updatedSince=2026-01-02T00:00:00.000Z`,
      BOTH_KEY,
    );
    const bad = await stack.get(`/api/v1/contacts?minScore=lots`, BOTH_KEY);

    expect(ids(byTag.body)).toEqual(['n-1', 's-1']);
    expect(ids(byScore.body)).toEqual(['n-1']);
    expect(ids(since.body)).toEqual(['n-2', 'n-3']);
    expect(bad.status).toBe(400);
  });

  it('answers 400 naming both bounds of a score range that holds nothing', async () => {
    const empty = await stack.get('/api/v1/contacts?minScore=50&maxScore=10', BOTH_KEY);
    const oneScore = await stack.get('/api/v1/contacts?minScore=80&maxScore=80', BOTH_KEY);

    expect(empty.status).toBe(400);
    expect(empty.body.message).toEqual([
      'minScore: 50 is above maxScore 10, so nothing is in the range',
    ]);
    expect(ids(oneScore.body)).toEqual(['n-1']);
  });

  it.each([
    ['/api/v1/contacts', ['locationId', 'minScore', 'maxScore', 'updatedSince', 'limit', 'cursor']],
    [`/api/v1/locations/${NORTH}/contacts/n-1/timeline`, ['limit', 'order', 'cursor']],
    [`/api/v1/locations/${NORTH}/contacts/n-1/health-score`, ['limit']],
  ])('answers 400 to each parameter of %s given twice, saying so', async (route, names) => {
    const twice = (name: string) => stack.get(`${route}?${name}=1&${name}=2`, BOTH_KEY);

    const answers = await Promise.all(names.map(twice));

    expect(answers.map(({ status, body }) => [status, body.message])).toEqual(
      names.map((name) => [400, [`${name}: given 2 times; give it once`]]),
    );
  });

  it('says what a limit must be, and takes a repeated tag as all of them', async () => {
    const word = await stack.get('/api/v1/contacts?limit=ten', BOTH_KEY);
    const tags = await stack.get('/api/v1/contacts?tag=solar&tag=hot', BOTH_KEY);

    expect(word.body.message).toEqual(['limit: must be a whole number from 1 to 200']);
    expect(ids(tags.body)).toEqual(['n-1', 's-1']);
  });

  it('names each parameter a route does not take', async () => {
    const unknown = await stack.get('/api/v1/contacts?limit=5&sort=name&page=2', BOTH_KEY);

    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toEqual([
      'sort: not a parameter of this route',
      'page: not a parameter of this route',
    ]);
  });

  it('pages with a cursor, each contact once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await stack.get(`/api/v1/contacts?limit=3${query}`, BOTH_KEY);
      seen.push(...ids(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);

    expect(seen).toEqual(['n-1', 's-1', 'n-2', 'n-3']);
  });

  it('answers 400 naming cursor to a crafted one, whatever its positions hold', async () => {
    const crafted = [
      '["x","y","z"]',
      '[1e400,"y","z"]',
      '["2026-02-30T00:00:00.000Z","y","z"]',
      '["020266-01-01T00:00:00.000Z","y","z"]',
      '["-000000-01-01T00:00:00.000Z","y","z"]',
      `["2026-01-01T00:00:00.000Z","${NORTH}","n\\u0000"]`,
      `["2026-01-01T00:00:00.000Z","${NORTH}","${'n'.repeat(65)}"]`,
      `["2026-01-01T00:00:00.000Z","${NORTH}",7]`,
      `["2026-01-01T00:00:00.000Z","${NORTH}",""]`,
      '"2026-01-01T00:00:00.000Z"',
    ];
    const cursorOf = (json: string) => Buffer.from(json).toString('base64url');

    const answers = await Promise.all(
      crafted.map((json) => stack.get(`/api/v1/contacts?cursor=${cursorOf(json)}`, BOTH_KEY)),
    );

    expect(answers.map((answer) => answer.status)).toEqual(crafted.map(() => 400));
    for (const { body } of answers)
      expect(body.message).toEqual([expect.stringMatching(/^cursor/)]);
    const after = `["2026-01-01T00:00:00.000Z","${NORTH}","n-1"]`;
    const page = await stack.get(`/api/v1/contacts?cursor=${cursorOf(after)}`, BOTH_KEY);
    expect(ids(page.body)).toEqual(['s-1', 'n-2', 'n-3']);
    // An id GHL may send and the records hold: a tab, or 32 characters beyond U+FFFF.
    const heldIds = ['n\\t1', '\ud83c\udf1e'.repeat(32)].map((id) =>
      stack.get(
        `/api/v1/contacts?cursor=${cursorOf(`["2026-01-01T00:00:00.000Z","${NORTH}","${id}"]`)}`,
        BOTH_KEY,
      ),
    );
    expect((await Promise.all(heldIds)).map((answer) => answer.status)).toEqual([200, 200]);
  });

  it('serves its OpenAPI document', async () => {
    const answer = await stack.get('/api/v1/openapi.json');

    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/contacts',
        '/api/v1/locations/{locationId}/contacts/{contactId}',
        '/api/v1/locations/{locationId}/contacts/{contactId}/timeline',
        '/api/v1/locations/{locationId}/contacts/{contactId}/health-score/refresh',
      ]),
    );
    expect(Object.keys(answer.body.paths)).not.toContain('/admin/parked-jobs');
    expect(answer.body.components.schemas.ContactDetailDto).toBeDefined();
  });
});
