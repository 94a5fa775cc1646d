import { control, ghl, LOCATION_ID, locationToken, Sandbox, startSandbox } from './sandbox-harness';

/** Walks GET /contacts/ by its cursor, sending locationId on every page. */
async function walk(baseUrl: string, token: string, limit = 100) {
  const ids: string[] = [];
  let cursor = '';
  for (let pages = 0; pages < 1000; pages++) {
    const page = await ghl(
      baseUrl,
      token,
      `/contacts/?locationId=${LOCATION_ID}&limit=${limit}${cursor}`,
    );
    expect(page.status).toBe(200);
    const contacts = page.body?.contacts as Array<{ id: string }>;
    ids.push(...contacts.map((contact) => contact.id));
    const meta = page.body?.meta;
    if (!meta.startAfterId || contacts.length === 0) break;
    cursor = `&startAfterId=${meta.startAfterId}&startAfter=${meta.startAfter}`;
  }

  return ids;
}

describe('GET /contacts/ pagination', () => {
  let sandbox: Sandbox;
  let token: string;

  beforeAll(async () => {
    sandbox = await startSandbox({
      SANDBOX_LOCATIONS: `${LOCATION_ID}:1234`,
      SANDBOX_RATE_LIMITS: 'false',
    });
    token = (await locationToken(sandbox.baseUrl)).accessToken;
  });

  afterAll(() => sandbox.close());

  it('returns every contact exactly once, in dateAdded then id order', async () => {
    const ids = await walk(sandbox.baseUrl, token, 100);

    const exported = await control(sandbox.baseUrl, 'GET', `/_sandbox/export/${LOCATION_ID}`);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect(ids).toEqual(exported.body.contacts.map((contact: { id: string }) => contact.id));
  });

  it('describes the next page in meta, without locationId in nextPageUrl', async () => {
    const page = await ghl(sandbox.baseUrl, token, `/contacts/?locationId=${LOCATION_ID}&limit=10`);

    const last = page.body?.contacts[9];
    expect(page.body?.count).toBe(1234);
    expect(page.body?.meta).toMatchObject({
      total: 1234,
      startAfterId: last.id,
      startAfter: Date.parse(last.dateAdded),
      currentPage: 1,
      nextPage: 2,
    });
    const next = new URL(page.body?.meta.nextPageUrl);
    expect(next.searchParams.get('startAfterId')).toBe(last.id);
    expect(next.searchParams.has('locationId')).toBe(false);
  });

  it('refuses a page larger than 100', async () => {
    const page = await ghl(
      sandbox.baseUrl,
      token,
      `/contacts/?locationId=${LOCATION_ID}&limit=101`,
    );

    expect(page.status).toBe(422);
  });

  it('misses and repeats nothing while contacts are added and updated mid-walk', async () => {
    const before = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { mutateDuringWalk: 2 });

    const ids = await walk(sandbox.baseUrl, token, 50);
    await control(sandbox.baseUrl, 'DELETE', '/_sandbox/faults');

    const after = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');
    const countBefore = before.body.locations[0].contacts;
    const countAfter = after.body.locations[0].contacts;
    expect(countAfter).toBeGreaterThan(countBefore);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(countAfter);
  });
});
