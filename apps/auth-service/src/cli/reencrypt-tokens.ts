/**
 * Re-seals every stored token under the newest key of TOKEN_ENCRYPTION_KEYS (the last one), so
 * that an older key can then be retired from the ring. Safe to run while the services run: each
 * row is re-sealed under its row lock, and its generation is kept.
 *
 *   npm run tokens:reencrypt            (reads DATABASE_URL and TOKEN_ENCRYPTION_KEYS)
 */
import path from 'node:path';

import { z } from 'zod';

import { loadConfig, sharedEnv } from '@sm/config';
import { ConnectionToken, createDataSource } from '@sm/entities';
import { createLogger } from '@sm/logging';

import { keyRing } from '../config/auth-service.config';
import { TokenCipher } from '../crypto/token-cipher';
import { TokenStore } from '../tokens/token-store.service';

const cliEnv = z.object({
  DATABASE_URL: sharedEnv.DATABASE_URL,
  LOG_LEVEL: sharedEnv.LOG_LEVEL,
  TOKEN_ENCRYPTION_KEYS: keyRing(),
});

export async function reencryptTokens(
  env = process.env,
): Promise<{ resealed: number; total: number }> {
  const config = loadConfig(cliEnv, env);
  const logger = createLogger({ service: 'tokens-reencrypt', level: config.LOG_LEVEL });
  const dataSource = await createDataSource(config.DATABASE_URL).initialize();
  try {
    const cipher = new TokenCipher(config.TOKEN_ENCRYPTION_KEYS);
    const store = new TokenStore(dataSource, cipher);
    const rows = await dataSource.manager.find(ConnectionToken, { select: { locationId: true } });
    let resealed = 0;
    for (const { locationId } of rows) {
      if (await store.reseal(locationId)) resealed += 1;
    }
    logger.info({ resealed, total: rows.length, keyId: cipher.currentKeyId }, 'tokens re-sealed');

    return { resealed, total: rows.length };
  } finally {
    await dataSource.destroy();
  }
}

// Run as a command (tools/run-ts.cjs leaves the entry in argv[1]), not when imported by a test.
if (path.resolve(process.argv[1] ?? '') === __filename) {
  reencryptTokens().catch((error: Error) => {
    process.stderr.write(`tokens-reencrypt: ${error.message}\n`);
    process.exit(1);
  });
}
