import { DataSource } from 'typeorm';

import { eventually } from '@sm/testing';

import { InstalledAuth, startInstalledAuth } from './support/auth-stack';
import {
  jsonOf,
  listenerPids,
  RunningAuthService,
  SERVICE_TOKEN,
  tokenRequest,
} from './support/auth-test-kit';

const LOCATION = 'SMtokenEndpointLoc01';

/** The internal token endpoint as node:http serves it, and the tokens it keeps in memory. */
describe('the internal token endpoint', () => {
  let world: InstalledAuth;
  let db: DataSource;
  let auth: RunningAuthService;

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${auth.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SERVICE_TOKEN}`,
        'content-type': 'application/json',
        ...headers,
      },
      body,
    });
  const tokenPath = `/internal/locations/${LOCATION}/access-token`;
  const setStatus = (status: string) =>
    db.query('UPDATE ghl_connections SET status = $1 WHERE location_id = $2', [status, LOCATION]);

  beforeAll(async () => {
    world = await startInstalledAuth({ locationId: LOCATION, queueName: 'auth-endpoint' });
    db = world.db;
    [auth] = world.replicas;
  });

  afterAll(() => world?.stop());

  it('refuses a body not JSON (400) or over 1 KiB (413), each naming the problem', async () => {
    const malformed = await post(tokenPath, '{"forceRefresh":');
    const oversized = await post(tokenPath, JSON.stringify({ padding: 'x'.repeat(2_000) }));

    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: 'invalid_body',
      message: 'the body is not valid JSON',
    });
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toEqual({
      error: 'payload_too_large',
      message: 'the body exceeds 1024 bytes',
    });
  });

  it('refuses JSON that is not an object (400) on either spelling', async () => {
    for (const body of ['null', '1', '"forceRefresh"', 'true']) {
      const exact = await post(tokenPath, body);
      const slashed = await post(`${tokenPath}/`, body);

      expect([body, exact.status, slashed.status]).toEqual([body, 400, 400]);
      expect(await slashed.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(await exact.json()).toEqual({
        error: 'invalid_body',
        message: 'the body must be a JSON object',
      });
    }
  });

  it('refuses a body it would read as no refresh: 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['{"forceRefresh":"true"}', 'forceRefresh: must be true or false'],
      ['{"forceRefresh":1}', 'forceRefresh: must be true or false'],
      ['{"forceRefres":true}', 'forceRefres: unknown field'],
      ['[{"forceRefresh":true}]', 'body: must be a JSON object'],
    ];

    for (const [body, message] of cases) {
      const exact = await post(tokenPath, body);
      const slashed = await post(`${tokenPath}/`, body);

      const answers = [await exact.json(), await slashed.json()];
      expect([body, exact.status, slashed.status]).toEqual([body, 400, 400]);
      expect(answers).toEqual([
        { error: 'invalid_body', message },
        { error: 'invalid_body', message },
      ]);
    }
  });

  it('answers an empty body, and a trailing slash (served by Nest), alike', async () => {
    const exact = await post(tokenPath, '', { 'content-type': 'text/plain' });
    const slashed = await post(`${tokenPath}/`, '{}');

    expect([exact.status, slashed.status]).toEqual([200, 200]);
    expect((await jsonOf(slashed)).accessToken).toBe((await jsonOf(exact)).accessToken);
  });

  it('takes the bearer scheme in any case on either spelling (RFC 9110)', async () => {
    const lower = { authorization: `bearer ${SERVICE_TOKEN}` };

    expect((await post(tokenPath, '{}', lower)).status).toBe(200);
    expect((await post(`${tokenPath}/`, '{}', lower)).status).toBe(200);
  });

  it('refuses a wrong credential on either spelling with 401', async () => {
    const wrong = { authorization: 'Bearer not-it' };

    expect((await post(tokenPath, '{}', wrong)).status).toBe(401);
    expect((await post(`${tokenPath}/`, '{}', wrong)).status).toBe(401);
  });

  it('keeps what it read: a change Postgres does not announce goes unseen', async () => {
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);

    await db.query('ALTER TABLE ghl_connections DISABLE TRIGGER ghl_connections_changed');
    await setStatus('paused');
    const kept = await tokenRequest(auth.url, LOCATION);
    await setStatus('active');
    await db.query('ALTER TABLE ghl_connections ENABLE TRIGGER ghl_connections_changed');

    expect(kept.status).toBe(200);
  });

  it('sees a change made in SQL on the very next request', async () => {
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);

    await setStatus('reauth_required');
    const refused = await tokenRequest(auth.url, LOCATION);
    await setStatus('active');
    const granted = await tokenRequest(auth.url, LOCATION);

    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: 'reauth_required' });
    expect(granted.status).toBe(200);
  });

  it('a lost notice connection drops what it kept, and it listens again', async () => {
    const [listener] = await listenerPids(db);
    expect(listener).toBeDefined();
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);

    await db.query('SELECT pg_terminate_backend($1)', [listener]);
    await setStatus('paused');
    // The service learns of the lost connection a moment after Postgres drops it.
    await eventually(async () => {
      const answer = await tokenRequest(auth.url, LOCATION);
      return answer.status === 409 ? answer : undefined;
    });
    await setStatus('active');
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(200);

    const [again] = await eventually(async () => {
      const pids = await listenerPids(db);
      return pids.length === 1 && pids[0] !== listener ? pids : undefined;
    });
    expect(again).not.toBe(listener);
    await setStatus('reauth_required');
    expect((await tokenRequest(auth.url, LOCATION)).status).toBe(409);
    await setStatus('active');
  });
});
