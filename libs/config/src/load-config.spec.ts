import { z } from 'zod';

import { ConfigError } from './config-error';
import { flag, port, secret } from './env-fields';
import { loadConfig } from './load-config';
import { sharedEnv } from './shared-env';

describe('loadConfig', () => {
  const schema = z.object({ ...sharedEnv, PORT: port(3001), KEY: secret(), WRITE: flag(false) });

  it('applies the defaults when a variable is absent', () => {
    const config = loadConfig(schema, { KEY: 'x'.repeat(32) });

    expect(config.PORT).toBe(3001);
    expect(config.WRITE).toBe(false);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('names every bad variable and never prints its value', () => {
    const attempt = () =>
      loadConfig(schema, { PORT: 'eighty', KEY: 'short-secret', DATABASE_URL: 'nope' });

    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT');
      expect(message).toContain('KEY');
      expect(message).toContain('DATABASE_URL');
      expect(message).not.toContain('short-secret');
    }
  });

  it('refuses a database or Redis URL of the wrong kind, naming it', () => {
    const attempt = () =>
      loadConfig(schema, {
        KEY: 'x'.repeat(32),
        REDIS_URL: 'foo://cache:6379',
        DATABASE_URL: 'mysql://db/x',
      });

    expect(attempt).toThrow(/REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
    expect(attempt).toThrow(/DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//);
  });

  it('refuses a Redis URL whose path is no database number, and takes one that is', () => {
    const redisUrl = (REDIS_URL: string) => () =>
      loadConfig(schema, { KEY: 'x'.repeat(32), REDIS_URL });

    expect(redisUrl('redis://cache:6379/abc')).toThrow(
      /REDIS_URL: its path must be a database number/,
    );
    expect(redisUrl('redis://cache:6379/3')().REDIS_URL).toBe('redis://cache:6379/3');
    expect(redisUrl('redis://[::1]:6379')().REDIS_URL).toBe('redis://[::1]:6379');
  });

  it('refuses a secret with whitespace around it, which no HTTP header could carry', () => {
    const key = (KEY: string) => () => loadConfig(schema, { KEY });

    expect(key(`${'x'.repeat(32)}\n`)).toThrow(/KEY: must not start or end with whitespace/);
    expect(key(` ${'x'.repeat(32)}`)).toThrow(/KEY: must not start or end with whitespace/);
    expect(key('x'.repeat(32))().KEY).toBe('x'.repeat(32));
  });

  it('parses flags strictly', () => {
    expect(() => loadConfig(schema, { KEY: 'x'.repeat(32), WRITE: 'yes' })).toThrow(/WRITE/);
  });
});
