import { Writable } from 'node:stream';

import pino from 'pino';

import { loggerOptions } from './create-logger';
import { loggableUrl } from './redaction';

function captureLines() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });

  return { lines, logger: pino(loggerOptions({ service: 'test', level: 'info' }), stream) };
}

describe('log redaction', () => {
  it('never writes a token, code or secret, at any depth the services use', () => {
    const { lines, logger } = captureLines();

    logger.info(
      {
        locationId: 'loc-1',
        tokens: { accessToken: 'at-secret-1', refresh_token: 'rt-secret-2' },
        body: { code: 'oauth-code-3', client_secret: 'cs-4' },
        req: { headers: { authorization: 'Bearer at-secret-5', 'x-ghl-signature': 'sig-6' } },
      },
      'token refreshed',
    );

    const line = lines.join('');
    expect(line).toContain('loc-1');
    for (const secret of [
      'at-secret-1',
      'rt-secret-2',
      'oauth-code-3',
      'cs-4',
      'at-secret-5',
      'sig-6',
    ]) {
      expect(line).not.toContain(secret);
    }
  });

  it('keeps the codes of errors: SQLSTATEs and errno names are what an operator reads', () => {
    const { lines, logger } = captureLines();

    logger.error({ code: '23505', eventType: 'ContactCreate' }, 'webhook inbox unavailable');
    logger.error({ err: { code: 'ECONNREFUSED', message: 'connect' } }, 'redis down');

    const [inbox, redis] = lines.map((line) => JSON.parse(line));
    expect(inbox.code).toBe('23505');
    expect(redis.err.code).toBe('ECONNREFUSED');
  });

  it('hides an OAuth code wherever a request carries it: query, form body, URL', () => {
    const { lines, logger } = captureLines();

    logger.info(
      {
        req: { url: '/oauth/callback', query: { code: 'oauth-code-7', state: 'state-8' } },
        query: { code: 'oauth-code-9' },
        request: { body: { grant_type: 'authorization_code', code: 'oauth-code-10' } },
      },
      'callback',
    );

    const line = lines.join('');
    expect(line).toContain('authorization_code');
    for (const secret of ['oauth-code-7', 'state-8', 'oauth-code-9', 'oauth-code-10']) {
      expect(line).not.toContain(secret);
    }
  });

  it('strips the query string from logged URLs', () => {
    expect(loggableUrl('/oauth/callback?code=abc&state=def')).toBe('/oauth/callback?[redacted]');
    expect(loggableUrl('/health/ready')).toBe('/health/ready');
    expect(loggableUrl('http://user:hunter2pw@evil/health/nope?code=X')).toBe(
      'http://[redacted]@evil/health/nope?[redacted]',
    );
    expect(loggableUrl('http://host/a@b')).toBe('http://host/a@b');
  });
});
