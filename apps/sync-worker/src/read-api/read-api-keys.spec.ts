import { z } from 'zod';

import { ConfigError, loadConfig } from '@sm/config';

import { digestApiKey, readApiKeysField } from './read-api-keys';

const schema = z.object({ READ_API_KEYS: readApiKeysField() });
const KEY = 'a-read-api-key-of-thirty-two-chars-or-more';

describe('READ_API_KEYS', () => {
  it('holds digests, never the keys, for both spellings', () => {
    const keyHash = digestApiKey('another-key-0123456789abcdef0123456789').toString('hex');
    const config = loadConfig(schema, {
      READ_API_KEYS: JSON.stringify([
        { name: 'crm', key: KEY, locations: ['loc-a'] },
        { name: 'bi', keyHash, locations: ['loc-a', 'loc-b'] },
      ]),
    });

    expect(config.READ_API_KEYS.map((key) => key.digest.toString('hex'))).toEqual([
      digestApiKey(KEY).toString('hex'),
      keyHash,
    ]);
    expect(JSON.stringify(config)).not.toContain(KEY);
  });

  it('accepts no key when unset', () => {
    expect(loadConfig(schema, {}).READ_API_KEYS).toEqual([]);
  });

  it('refuses bad entries without printing the value', () => {
    const bad = [
      'not json',
      JSON.stringify([{ name: 'crm', key: 'short', locations: ['loc-a'] }]),
      JSON.stringify([{ name: 'crm', key: KEY, locations: [] }]),
      JSON.stringify([{ name: 'crm', key: KEY, keyHash: 'ab', locations: ['l'] }]),
      JSON.stringify([
        { name: 'crm', key: KEY, locations: ['l'] },
        { name: 'bi', key: KEY, locations: ['m'] },
      ]),
    ];

    for (const value of bad) {
      let message = '';
      try {
        loadConfig(schema, { READ_API_KEYS: value });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toContain('READ_API_KEYS');
      expect(message).not.toContain(KEY);
      expect(message).not.toContain('short');
    }
  });
});
