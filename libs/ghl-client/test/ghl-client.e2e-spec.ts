import { Logger } from '@nestjs/common';

import { type AccessTokenProvider, GhlApiError, GhlClient, GhlOAuthClient } from '../src';

import { type RecordedRequest, sendJson, startFakeGhl } from './support/fake-ghl-server';

const LOCATION = 'loc-1';

function tokens(...values: string[]) {
  const asked: Array<{ forceRefresh?: boolean }> = [];
  const provider: AccessTokenProvider = {
    getAccessToken: async (_locationId, options = {}) => {
      asked.push(options);

      return values[Math.min(asked.length - 1, values.length - 1)];
    },
  };

  return { provider, asked };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);

  return all;
}

const fastRetries = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe('GhlClient over HTTP', () => {
  let fake: Awaited<ReturnType<typeof startFakeGhl>> | undefined;
  let client: GhlClient | undefined;

  beforeAll(() => Logger.overrideLogger(false));

  afterEach(async () => {
    await client?.close();
    await fake?.close();
  });

  it('sends the bearer token, the Version header and Accept on every call', async () => {
    fake = await startFakeGhl((_req, res) => sendJson(res, 200, { contact: { id: 'c1' } }));
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: tokens('tok-a').provider });

    const contact = await client.forLocation(LOCATION).getContact('c1');

    expect(contact.id).toBe('c1');
    expect(fake.requests[0].headers).toMatchObject({
      authorization: 'Bearer tok-a',
      version: '2021-07-28',
      accept: 'application/json',
    });
    expect(fake.requests[0].url.pathname).toBe('/contacts/c1');
  });

  it('walks GET /contacts/ sending locationId and the last contact as cursor', async () => {
    const all = Array.from({ length: 7 }, (_, i) => ({
      id: `c${i}`,
      dateAdded: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
    }));
    fake = await startFakeGhl((req, res) => {
      const after = Number(req.url.searchParams.get('startAfter') ?? -1);
      const limit = Number(req.url.searchParams.get('limit'));
      const page = all.filter((c) => Date.parse(c.dateAdded) > after).slice(0, limit);
      sendJson(res, 200, { contacts: page, count: 999 });
    });
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: tokens('t').provider });

    const contacts = await collect(
      client.forLocation(LOCATION).listContacts({ pageSize: 3, query: 'solar' }),
    );

    expect(contacts.map((c) => c.id)).toEqual(all.map((c) => c.id));
    expect(fake.requests).toHaveLength(4);
    for (const request of fake.requests) {
      expect(request.url.searchParams.get('locationId')).toBe(LOCATION);
      expect(request.url.searchParams.get('query')).toBe('solar');
      expect(request.url.searchParams.get('limit')).toBe('3');
    }
    expect(fake.requests[1].url.searchParams.get('startAfterId')).toBe('c2');
    expect(fake.requests[1].url.searchParams.get('startAfter')).toBe(
      String(Date.parse(all[2].dateAdded)),
    );
  });

  it('stops when GHL answers the same cursor again instead of looping', async () => {
    const stuck = { contacts: [{ id: 'c1', dateAdded: '2024-01-01T00:00:00.000Z' }] };
    fake = await startFakeGhl((_req, res) => sendJson(res, 200, stuck));
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: tokens('t').provider });

    const contacts = await collect(client.forLocation(LOCATION).listContacts());

    expect(contacts.map((c) => c.id)).toEqual(['c1']);
    expect(fake.requests).toHaveLength(2);
  });

  it('asks for a fresh token once after a 401 and retries with it', async () => {
    fake = await startFakeGhl((req, res) =>
      req.headers.authorization === 'Bearer fresh'
        ? sendJson(res, 200, { tasks: [{ id: 't1' }] })
        : sendJson(res, 401, { statusCode: 401, message: 'Invalid token' }),
    );
    const { provider, asked } = tokens('stale', 'fresh');
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: provider });

    const tasks = await client.forLocation(LOCATION).listContactTasks('c1');

    expect(tasks).toEqual([{ id: 't1' }]);
    expect(asked).toEqual([{}, { forceRefresh: true }]);
  });

  it('fails with an auth error when the fresh token is refused too', async () => {
    fake = await startFakeGhl((_req, res) =>
      sendJson(res, 401, { statusCode: 401, message: 'Invalid token', traceId: 'tr-1' }),
    );
    const { provider, asked } = tokens('stale', 'also-stale');
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: provider });

    const failure = client.forLocation(LOCATION).getContact('c1');

    await expect(failure).rejects.toMatchObject({ kind: 'auth', status: 401, traceId: 'tr-1' });
    expect(asked).toHaveLength(2);
  });

  it('retries a GET after 5xx answers and succeeds', async () => {
    let calls = 0;
    fake = await startFakeGhl((_req, res) =>
      ++calls < 3
        ? sendJson(res, 503, { message: 'busy' })
        : sendJson(res, 200, { notes: [{ id: 'n1' }] }),
    );
    client = new GhlClient({
      baseUrl: fake.baseUrl,
      tokenProvider: tokens('t').provider,
      retry: fastRetries,
    });
    const location = client.forLocation(LOCATION);

    const notes = await location.listContactNotes('c1');

    expect(notes).toEqual([{ id: 'n1' }]);
    expect(location.callCount).toBe(3);
  });

  it('does not retry a create after a 5xx and says its outcome is unknown', async () => {
    fake = await startFakeGhl((_req, res) => sendJson(res, 502, { message: 'bad gateway' }));
    client = new GhlClient({
      baseUrl: fake.baseUrl,
      tokenProvider: tokens('t').provider,
      retry: fastRetries,
    });

    const failure = client.forLocation(LOCATION).createContactTask('c1', {
      title: 'Call back',
      dueDate: '2024-05-01T10:00:00.000Z',
      completed: false,
    });

    await expect(failure).rejects.toMatchObject({ kind: 'server', outcomeUnknown: true });
    expect(fake.requests.filter((r: RecordedRequest) => r.method === 'POST')).toHaveLength(1);
  });

  it('keeps the list of messages of a 422', async () => {
    const messages = ['title must be a string', 'dueDate must be a date'];
    fake = await startFakeGhl((_req, res) =>
      sendJson(res, 422, { statusCode: 422, message: messages, error: 'Unprocessable Entity' }),
    );
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: tokens('t').provider });

    const error = await client
      .forLocation(LOCATION)
      .updateContactTask('c1', 't1', { title: '' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GhlApiError);
    expect(error).toMatchObject({ kind: 'validation', status: 422, ghlMessage: messages });
    expect(fake.requests).toHaveLength(1);
  });

  it('waits after a 429 and retries without throwing', async () => {
    let calls = 0;
    fake = await startFakeGhl((_req, res) => {
      if (++calls > 1) return sendJson(res, 201, { tags: ['vip'] });
      res.writeHead(429, { 'x-ratelimit-interval-milliseconds': '50' });
      res.end();
    });
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: tokens('t').provider });

    const tags = await client.forLocation(LOCATION).addContactTags('c1', ['vip']);

    expect(tags).toEqual(['vip']);
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a GET after the connection is cut, and classifies it as network', async () => {
    fake = await startFakeGhl((_req, res) => void res.socket?.destroy());
    client = new GhlClient({
      baseUrl: fake.baseUrl,
      tokenProvider: tokens('t').provider,
      retry: fastRetries,
    });

    const failure = client.forLocation(LOCATION).getContact('c1');

    await expect(failure).rejects.toMatchObject({ kind: 'network', status: 0 });
    expect(fake.requests).toHaveLength(3);
  });

  it('refreshes the token once when many concurrent calls see the same 401', async () => {
    fake = await startFakeGhl((req, res) =>
      req.headers.authorization === 'Bearer fresh'
        ? sendJson(res, 200, { contact: { id: 'c1' } })
        : sendJson(res, 401, { statusCode: 401, message: 'Invalid token' }),
    );
    const { provider, asked } = tokens('stale', 'fresh');
    client = new GhlClient({ baseUrl: fake.baseUrl, tokenProvider: provider });
    const location = client.forLocation(LOCATION);

    const contacts = await Promise.all(Array.from({ length: 5 }, () => location.getContact('c1')));

    expect(contacts.map((c) => c.id)).toEqual(['c1', 'c1', 'c1', 'c1', 'c1']);
    expect(asked.filter((options) => options.forceRefresh)).toHaveLength(1);
  });

  it('creates no second task when the answer to a create was lost', async () => {
    const created: Array<Record<string, unknown>> = [];
    fake = await startFakeGhl((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, { tasks: created });
      created.push({ id: `t${created.length + 1}`, ...JSON.parse(req.body) });
      res.socket?.destroy(); // GHL made the task, the answer never arrives
    });
    client = new GhlClient({
      baseUrl: fake.baseUrl,
      tokenProvider: tokens('t').provider,
      retry: fastRetries,
    });
    const location = client.forLocation(LOCATION);
    const task = { title: 'Call back', dueDate: '2024-05-01T10:00:00.000Z', completed: false };

    const lost = await location.createContactTask('c1', task).catch((e: unknown) => e);
    const again = await location.createContactTaskOnce('c1', task);

    expect(lost).toMatchObject({ kind: 'network', outcomeUnknown: true });
    expect(again.id).toBe('t1');
    expect(created).toHaveLength(1);
  });
});

describe('GhlOAuthClient over HTTP', () => {
  let fake: Awaited<ReturnType<typeof startFakeGhl>> | undefined;
  let oauth: GhlOAuthClient | undefined;

  afterEach(async () => {
    await oauth?.close();
    await fake?.close();
  });

  it('posts a form with the client credentials to /oauth/token, without Version', async () => {
    fake = await startFakeGhl((_req, res) =>
      sendJson(res, 200, { access_token: 'at', refresh_token: 'rt2', expires_in: 86399 }),
    );
    oauth = new GhlOAuthClient({ baseUrl: fake.baseUrl, clientId: 'app-x', clientSecret: 's3' });

    const pair = await oauth.refresh({ refreshToken: 'rt1', userType: 'Location' });

    const [request] = fake.requests;
    expect(pair.refresh_token).toBe('rt2');
    expect(request.url.pathname).toBe('/oauth/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.version).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      client_id: 'app-x',
      client_secret: 's3',
      grant_type: 'refresh_token',
      refresh_token: 'rt1',
      user_type: 'Location',
    });
  });

  it('mints a location token with the agency bearer token and the Version header', async () => {
    fake = await startFakeGhl((_req, res) => sendJson(res, 200, { access_token: 'loc-at' }));
    oauth = new GhlOAuthClient({ baseUrl: fake.baseUrl, clientId: 'app-x', clientSecret: 's3' });

    const token = await oauth.mintLocationToken({
      companyAccessToken: 'agency-at',
      companyId: 'co1',
      locationId: 'loc1',
    });

    const [request] = fake.requests;
    expect(token.access_token).toBe('loc-at');
    expect(request.headers).toMatchObject({
      authorization: 'Bearer agency-at',
      version: '2021-07-28',
    });
    expect(new URLSearchParams(request.body).get('locationId')).toBe('loc1');
  });

  it('reports a dead refresh token as invalid_grant', async () => {
    fake = await startFakeGhl((_req, res) =>
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'refresh token reused' }),
    );
    oauth = new GhlOAuthClient({ baseUrl: fake.baseUrl, clientId: 'app-x', clientSecret: 's3' });

    const error = await oauth.refresh({ refreshToken: 'used' }).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 400, isInvalidGrant: true, isTransient: false });
  });
});
