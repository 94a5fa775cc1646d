import { Logger } from '@nestjs/common';
import { uniqueQueuePrefix } from '@sm/testing';
import Redis from 'ioredis';

import { GhlClient, type GhlClientOptions, RedisRateGovernor } from '../src';
import { type Sandbox, startSandbox } from './support/sandbox';

const WALK = 'SMwalkLocation000001';
const MUTATING = 'SMmutateLocation0001';
const EXPIRING = 'SMexpiryLocation0001';
const FLAKY = 'SMflakyLocation00001';
const GOVERNED = 'SMgovernLocation0001';
const PAUSED = 'SMpauseLocation00001';
const LOCATIONS = [
  `${WALK}:450`,
  `${MUTATING}:230`,
  ...[EXPIRING, FLAKY, GOVERNED, PAUSED].map((id) => `${id}:5`),
].join(',');

const fastRetries = { attempts: 8, baseDelayMs: 5, maxDelayMs: 20 };

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);

  return all;
}

describe('GhlClient against the GHL sandbox', () => {
  let sandbox: Sandbox;
  const clients: GhlClient[] = [];
  const connections: Redis[] = [];

  function clientFor(options: Omit<GhlClientOptions, 'baseUrl'>): GhlClient {
    const client = new GhlClient({ baseUrl: sandbox.baseUrl, retry: fastRetries, ...options });
    clients.push(client);

    return client;
  }

  function redisConnection(): Redis {
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    connections.push(redis);

    return redis;
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    sandbox = await startSandbox(LOCATIONS);
  });

  afterEach(async () => {
    await sandbox.resetFaults();
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await Promise.all(connections.map((redis) => redis.quit()));
    await sandbox?.stop();
  });

  it('walks every contact of a location exactly once, page after page', async () => {
    const tokens = await sandbox.install(WALK);
    const location = clientFor({ tokenProvider: tokens }).forLocation(WALK);

    const walked = await collect(location.listContacts());

    const ids = walked.map((contact) => contact.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(await sandbox.exportContactIds(WALK));
    expect(location.callCount).toBe(5);
  });

  it('neither misses nor repeats a contact while the location changes under the walk', async () => {
    const tokens = await sandbox.install(MUTATING);
    const location = clientFor({ tokenProvider: tokens }).forLocation(MUTATING);
    await sandbox.faults({ mutateDuringWalk: 3 });

    const walked = await collect(location.listContacts({ pageSize: 25 }));

    const ids = walked.map((contact) => contact.id);
    const live = await sandbox.exportContactIds(MUTATING);
    expect(live.length).toBeGreaterThan(230);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...live].sort());
  });

  it('walks POST /contacts/search with searchAfter to the last contact', async () => {
    const tokens = await sandbox.install(WALK);
    const location = clientFor({ tokenProvider: tokens }).forLocation(WALK);

    const found = await collect(location.searchContacts({ pageLimit: 100 }));

    const ids = found.map((contact) => contact.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...(await sandbox.exportContactIds(WALK))].sort());
  });

  it('neither misses nor repeats a contact while the location changes under a search', async () => {
    const tokens = await sandbox.install(MUTATING);
    const location = clientFor({ tokenProvider: tokens }).forLocation(MUTATING);
    const before = (await sandbox.exportContactIds(MUTATING)).length;
    await sandbox.faults({ mutateDuringWalk: 2 });

    const found = await collect(location.searchContacts({ pageLimit: 30 }));

    const ids = found.map((contact) => contact.id);
    const live = await sandbox.exportContactIds(MUTATING);
    expect(live.length).toBeGreaterThan(before);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...live].sort());
  });

  it('walks the contacts of a business with skip and limit', async () => {
    const tokens = await sandbox.install(WALK);
    const location = clientFor({ tokenProvider: tokens }).forLocation(WALK);
    const [withBusiness] = (await collect(location.listContacts())).filter((c) => c.businessId);
    const businessId = withBusiness?.businessId ?? '';

    const members = await collect(location.listBusinessContacts(businessId, { pageSize: 2 }));

    expect(members.length).toBeGreaterThan(0);
    expect(members.every((contact) => contact.businessId === businessId)).toBe(true);
    expect(new Set(members.map((c) => c.id)).size).toBe(members.length);
  });

  it('asks for a fresh token once when GHL refuses an expired one, and goes on', async () => {
    await sandbox.faults({ accessTokenTtlSeconds: 1 });
    const tokens = await sandbox.install(EXPIRING);
    const [contactId] = await sandbox.exportContactIds(EXPIRING);
    const location = clientFor({ tokenProvider: tokens }).forLocation(EXPIRING);
    const refreshesBefore = (await sandbox.stats()).oauth.refreshes;
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const contact = await location.getContact(contactId);

    expect(contact.id).toBe(contactId);
    expect(tokens.asked).toEqual([{}, { forceRefresh: true }]);
    expect((await sandbox.stats()).oauth.refreshes).toBe(refreshesBefore + 1);
  });

  it('retries reads through a stream of 500s until they succeed', async () => {
    const tokens = await sandbox.install(FLAKY);
    const [contactId] = await sandbox.exportContactIds(FLAKY);
    const location = clientFor({ tokenProvider: tokens }).forLocation(FLAKY);
    const errorsBefore = (await sandbox.stats()).requests.byStatus['500'] ?? 0;
    await sandbox.faults({ errorRate: 0.3 });

    const contacts = await Promise.all(
      Array.from({ length: 20 }, () => location.getContact(contactId)),
    );

    expect(contacts.every((contact) => contact.id === contactId)).toBe(true);
    expect((await sandbox.stats()).requests.byStatus['500'] ?? 0).toBeGreaterThan(errorsBefore);
  });

  it('sends a create once even when GHL answers 500, and says its outcome is unknown', async () => {
    const tokens = await sandbox.install(FLAKY);
    const [contactId] = await sandbox.exportContactIds(FLAKY);
    const location = clientFor({ tokenProvider: tokens }).forLocation(FLAKY);
    const errorsBefore = (await sandbox.stats()).requests.byStatus['500'] ?? 0;
    await sandbox.faults({ errorRate: 1 });

    const failure = location.createContactTask(contactId, {
      title: 'Send the proposal',
      dueDate: '2030-01-01T09:00:00.000Z',
      completed: false,
    });

    await expect(failure).rejects.toMatchObject({ kind: 'server', outcomeUnknown: true });
    expect((await sandbox.stats()).requests.byStatus['500']).toBe(errorsBefore + 1);
  });

  it("keeps GHL's list of validation messages on a 422", async () => {
    const tokens = await sandbox.install(FLAKY);
    const [contactId] = await sandbox.exportContactIds(FLAKY);
    const location = clientFor({ tokenProvider: tokens }).forLocation(FLAKY);

    const error = await location
      .createContactTask(contactId, { body: 'no title' } as never)
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'validation', status: 422 });
    expect((error as { ghlMessage: string[] }).ghlMessage).toEqual(
      expect.arrayContaining([expect.stringContaining('title')]),
    );
  });

  it('keeps two replicas together under the burst limit with no 429', async () => {
    await sandbox.faults({ burstLimit: 20, burstWindowMs: 1_000 });
    const tokens = await sandbox.install(GOVERNED);
    const [contactId] = await sandbox.exportContactIds(GOVERNED);
    const keyPrefix = uniqueQueuePrefix('ghl-rate');
    const replicas = [0, 1].map(() =>
      clientFor({
        tokenProvider: tokens,
        rateGovernor: new RedisRateGovernor({
          redis: redisConnection(),
          keyPrefix,
          burstLimit: 20,
          burstWindowMs: 1_000,
          windowMarginMs: 50,
        }),
      }).forLocation(GOVERNED, { priority: 'reconciliation' }),
    );
    const limitedBefore = (await sandbox.stats()).requests.byStatus['429'] ?? 0;
    const started = Date.now();

    const contacts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => replicas[i % 2].getContact(contactId)),
    );

    expect(contacts).toHaveLength(60);
    expect((await sandbox.stats()).requests.byStatus['429'] ?? 0).toBe(limitedBefore);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });

  it('waits out 429s without throwing', async () => {
    const tokens = await sandbox.install(PAUSED);
    const [contactId] = await sandbox.exportContactIds(PAUSED);
    const location = clientFor({
      tokenProvider: tokens,
      rateGovernor: { redis: redisConnection(), keyPrefix: uniqueQueuePrefix('ghl-rate') },
    }).forLocation(PAUSED);
    const limitedBefore = (await sandbox.stats()).requests.byStatus['429'] ?? 0;
    await sandbox.faults({ force429: 2, burstWindowMs: 300 });

    const contact = await location.getContact(contactId);

    expect(contact.id).toBe(contactId);
    expect((await sandbox.stats()).requests.byStatus['429']).toBe(limitedBefore + 2);
  });
});
