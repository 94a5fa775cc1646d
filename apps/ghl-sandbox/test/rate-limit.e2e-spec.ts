import { control, ghl, LOCATION_ID, locationToken, Sandbox, startSandbox } from './sandbox-harness';

describe('GHL rate limits', () => {
  let sandbox: Sandbox;
  let token: string;
  const path = `/contacts/?locationId=${LOCATION_ID}&limit=1`;

  beforeAll(async () => {
    sandbox = await startSandbox({ SANDBOX_LOCATIONS: `${LOCATION_ID}:10` });
    token = (await locationToken(sandbox.baseUrl)).accessToken;
  });

  afterEach(() => control(sandbox.baseUrl, 'DELETE', '/_sandbox/faults'));

  afterAll(() => sandbox.close());

  it("sends GHL's X-RateLimit-* headers on every answer", async () => {
    const answer = await ghl(sandbox.baseUrl, token, path);

    expect(answer.headers.get('x-ratelimit-limit-daily')).toBe('200000');
    expect(answer.headers.get('x-ratelimit-daily-remaining')).toBe('199999');
    expect(answer.headers.get('x-ratelimit-interval-milliseconds')).toBe('10000');
    expect(answer.headers.get('x-ratelimit-max')).toBe('100');
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('99');
  });

  it('answers 429 past the burst limit, and again after the window', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', {
      burstLimit: 5,
      burstWindowMs: 600,
    });

    const answers = [];
    for (let call = 0; call < 7; call++) answers.push(await ghl(sandbox.baseUrl, token, path));
    await new Promise((resolve) => setTimeout(resolve, 650));
    const afterWindow = await ghl(sandbox.baseUrl, token, path);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(answers[4].headers.get('x-ratelimit-remaining')).toBe('0');
    expect(answers[5].headers.get('x-ratelimit-max')).toBe('5');
    expect(answers[5].body).toMatchObject({ statusCode: 429 });
    expect(afterWindow.status).toBe(200);
  });

  it('answers 429 past the daily limit', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { dailyLimit: 2 });

    const statuses = [];
    for (let call = 0; call < 3; call++)
      statuses.push((await ghl(sandbox.baseUrl, token, path)).status);

    expect(statuses).toEqual([200, 200, 429]);
  });

  it('forces the next N answers to 429', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { force429: 2 });

    const statuses = [];
    for (let call = 0; call < 3; call++)
      statuses.push((await ghl(sandbox.baseUrl, token, path)).status);

    expect(statuses).toEqual([429, 429, 200]);
  });

  it('sends no headers and never refuses when limits are off', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', {
      rateLimits: false,
      burstLimit: 1,
    });

    const first = await ghl(sandbox.baseUrl, token, path);
    const second = await ghl(sandbox.baseUrl, token, path);

    expect(second.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining')).toBeNull();
  });

  it('applies latency and error-rate knobs to the GHL surface only', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { errorRate: 1, latencyMs: 150 });

    const started = Date.now();
    const failed = await ghl(sandbox.baseUrl, token, path);
    const elapsed = Date.now() - started;
    const stats = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');

    expect(failed.status).toBe(500);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(stats.status).toBe(200);
  });

  it("counts each location's answers by status in the stats", async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { force429: 1 });
    const before = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');
    const seen = (stats: typeof before, status: string): number =>
      stats.body.requests.byLocationStatus[LOCATION_ID]?.[status] ?? 0;

    await ghl(sandbox.baseUrl, token, path);
    await ghl(sandbox.baseUrl, token, path);
    const after = await control(sandbox.baseUrl, 'GET', '/_sandbox/stats');

    expect(seen(after, '429') - seen(before, '429')).toBe(1);
    expect(seen(after, '200') - seen(before, '200')).toBe(1);
  });

  it('rejects an unknown knob', async () => {
    const answer = await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', { nonsense: 1 });

    expect(answer.status).toBe(400);
  });

  it('drops a timed-out request without answering', async () => {
    await control(sandbox.baseUrl, 'POST', '/_sandbox/faults', {
      timeoutRate: 1,
      timeoutHoldMs: 300,
    });

    const attempt = fetch(new URL(path, sandbox.baseUrl), {
      headers: { authorization: `Bearer ${token}`, version: '2021-07-28' },
    });

    await expect(attempt).rejects.toThrow();
  });
});
