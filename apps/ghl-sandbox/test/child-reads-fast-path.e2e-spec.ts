import {
  control,
  ghl,
  JsonBody,
  LOCATION_ID,
  locationToken,
  Sandbox,
  startSandbox,
} from './sandbox-harness';

const KINDS = ['tasks', 'notes', 'appointments'] as const;

/**
 * The child lists answered straight from the HTTP server must be the answers the full stack
 * gives. `If-Modified-Since` (no answer carries a Last-Modified, so it never makes a 304) sends
 * the same request through Express, Nest and the guard: the twin to compare with.
 */
describe('GET /contacts/:contactId/{tasks,notes,appointments} fast path', () => {
  let sandbox: Sandbox;
  let token: string;
  let contactIds: string[];
  const fullStack = { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' };

  beforeAll(async () => {
    sandbox = await startSandbox({
      SANDBOX_LOCATIONS: `${LOCATION_ID}:20`,
      SANDBOX_RATE_LIMITS: 'false',
    });
    token = (await locationToken(sandbox.baseUrl)).accessToken;
    const listed = await ghl(sandbox.baseUrl, token, `/contacts/?locationId=${LOCATION_ID}`);
    contactIds = (listed.body?.contacts as JsonBody[]).map((contact) => contact.id as string);
  });

  afterEach(() => control(sandbox.baseUrl, 'DELETE', '/_sandbox/faults'));

  afterAll(() => sandbox.close());

  /** Contacts that have at least one of each of these kinds. */
  async function contactsWith(...kinds: Array<(typeof KINDS)[number]>): Promise<string[]> {
    const found: string[] = [];
    for (const contactId of contactIds) {
      const lists = await Promise.all(
        kinds.map((kind) => ghl(sandbox.baseUrl, token, `/contacts/${contactId}/${kind}`)),
      );
      const hasEach = lists.every(({ body }) => Object.values(body ?? {}).some(isNonEmptyList));
      if (hasEach) found.push(contactId);
    }

    return found;
  }

  it('answers every list with the status, headers and body of the full stack', async () => {
    for (const contactId of contactIds.slice(0, 8)) {
      for (const kind of KINDS) {
        const path = `/contacts/${contactId}/${kind}`;

        const fast = await ghl(sandbox.baseUrl, token, path);
        const full = await ghl(sandbox.baseUrl, token, path, { headers: fullStack });

        expect(fast.status).toBe(200);
        expect(fast.body).toEqual(full.body);
        expect(headersOf(fast.headers)).toEqual(headersOf(full.headers));
      }
    }
  });

  it('serves a changed list with its change, as the full stack does', async () => {
    const [contactId] = await contactsWith('tasks', 'notes');
    const tasksPath = `/contacts/${contactId}/tasks`;
    const notesPath = `/contacts/${contactId}/notes`;
    const [task] = (await ghl(sandbox.baseUrl, token, tasksPath)).body?.tasks as JsonBody[];
    const [note] = (await ghl(sandbox.baseUrl, token, notesPath)).body?.notes as JsonBody[];

    // Twice, read in between: the second change is made to lists already changed and served.
    const edit = { title: 'Send the revised battery quote' };
    const taskPath = `${tasksPath}/${task.id}`;
    await ghl(sandbox.baseUrl, token, taskPath, { method: 'PUT', body: { title: 'Call back' } });
    await ghl(sandbox.baseUrl, token, notesPath, {
      method: 'POST',
      body: { body: 'Wants a quote' },
    });
    await ghl(sandbox.baseUrl, token, tasksPath);
    await ghl(sandbox.baseUrl, token, notesPath);
    await ghl(sandbox.baseUrl, token, taskPath, { method: 'PUT', body: edit });
    await ghl(sandbox.baseUrl, token, `${notesPath}/${note.id}`, { method: 'DELETE' });
    const tasks = await ghl(sandbox.baseUrl, token, tasksPath);
    const notes = await ghl(sandbox.baseUrl, token, notesPath);

    const edited = (tasks.body?.tasks as JsonBody[]).find((item) => item.id === task.id);
    expect(edited?.title).toBe(edit.title);
    expect((notes.body?.notes as JsonBody[]).map((item) => item.id)).not.toContain(note.id);
    const tasksFull = await ghl(sandbox.baseUrl, token, tasksPath, { headers: fullStack });
    expect(headersOf(tasks.headers)).toEqual(headersOf(tasksFull.headers));
  });

  it('counts its answers in the stats like any other', async () => {
    const before = (await control(sandbox.baseUrl, 'GET', '/_sandbox/stats')).body;

    await ghl(sandbox.baseUrl, token, `/contacts/${contactIds[0]}/notes`);
    const after = (await control(sandbox.baseUrl, 'GET', '/_sandbox/stats')).body;

    expect(after.requests.byLocationStatus[LOCATION_ID]['200']).toBe(
      before.requests.byLocationStatus[LOCATION_ID]['200'] + 1,
    );
  });

  it.each([
    ['an unknown contact', 'noSuchContact000000', { version: '2021-07-28' }, 404],
    ['no Version header', 'first', {}, 400],
    ['an unknown token', 'first', { version: '2021-07-28', authorization: 'Bearer nope' }, 401],
  ])('leaves %s to the full stack', async (_case, contact, headers, status) => {
    const contactId = contact === 'first' ? contactIds[0] : contact;

    const answer = await fetch(new URL(`/contacts/${contactId}/notes`, sandbox.baseUrl), {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });

    expect(answer.status).toBe(status);
  });

  it('leaves the lists to the full stack while a fault or the rate limits are on', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { rateLimits: true, errorRate: 1 });

    const answer = await ghl(sandbox.baseUrl, token, `/contacts/${contactIds[0]}/tasks`);

    expect(answer.status).toBe(500);
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { errorRate: 0 });
    const limited = await ghl(sandbox.baseUrl, token, `/contacts/${contactIds[0]}/tasks`);
    expect(limited.status).toBe(200);
    expect(limited.headers.get('x-ratelimit-max')).toBe('100');
  });
});

/** Every header but the date, which may tick between the two answers. */
function headersOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name !== 'date'));
}

const isNonEmptyList = (value: unknown) => Array.isArray(value) && value.length > 0;
