/**
 * Re-seals every stored token under the newest key of TOKEN_ENCRYPTION_KEYS (the last one), so
 * that an older key can then be retired from the ring. Safe to run while the services run: each
 * row is re-sealed under its row lock, and its generation is kept.
 *
 * Every row is opened, also those whose header already names the newest key. First the ring is
 * checked as the service checks it at boot; a ring that opens none of the rows tried under one
 * of its key ids (a key regenerated under its old id, say) re-seals nothing, since re-sealing
 * under a wrong newest key would lose the tokens the right one opens. A row that no key opens
 * is left as it is, and named (its location id and key id) when the run ends. Either way the
 * run fails: exit code 1, the reason on stderr.
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
import {
  KEY_RING_VARIABLE,
  KeyRingCheck,
  KeyRingMismatchError,
} from '../tokens/key-ring-check.service';
import { StoredTokenUnreadableError } from '../tokens/token-errors';
import { TokenStore } from '../tokens/token-store.service';

const cliEnv = z.object({
  DATABASE_URL: sharedEnv.DATABASE_URL,
  LOG_LEVEL: sharedEnv.LOG_LEVEL,
  TOKEN_ENCRYPTION_KEYS: keyRing(),
});

/** How many unreadable rows the error message names; the log line names up to 1,000. */
const NAMED_IN_MESSAGE = 20;

/** Rows that no key of the ring opens: named by location and key id, never by value. */
export class UnreadableTokensError extends Error {
  constructor(
    readonly rows: StoredTokenUnreadableError[],
    readonly total: number,
  ) {
    const named = rows.slice(0, NAMED_IN_MESSAGE).map((row) => `${row.locationId} (${row.keyId})`);
    const more = rows.length > named.length ? ` and ${rows.length - named.length} more` : '';
    super(
      `${rows.length} of ${total} stored tokens open with no key of ${KEY_RING_VARIABLE} ` +
        `and were left as they are: ${named.join(', ')}${more}`,
    );
    this.name = 'UnreadableTokensError';
  }
}

export async function reencryptTokens(
  env = process.env,
): Promise<{ resealed: number; total: number }> {
  const config = loadConfig(cliEnv, env);
  const logger = createLogger({ service: 'tokens-reencrypt', level: config.LOG_LEVEL });
  const dataSource = await createDataSource(config.DATABASE_URL).initialize();
  try {
    const cipher = new TokenCipher(config.TOKEN_ENCRYPTION_KEYS);
    const store = new TokenStore(dataSource, cipher);
    const { unreadableKeys } = await new KeyRingCheck(store, cipher).check();
    if (unreadableKeys.length > 0) throw new KeyRingMismatchError(unreadableKeys);

    const rows = await dataSource.manager.find(ConnectionToken, { select: { locationId: true } });
    const { resealed, unreadable } = await resealEach(
      store,
      rows.map((row) => row.locationId),
    );
    const outcome = { resealed, unreadable: unreadable.length, total: rows.length };
    logger.info({ ...outcome, keyId: cipher.currentKeyId }, 'tokens re-sealed');
    if (unreadable.length > 0) {
      const locationIds = unreadable.slice(0, 1_000).map((row) => row.locationId);
      logger.error(
        { unreadable: unreadable.length, locationIds },
        'stored tokens cannot be opened',
      );
      throw new UnreadableTokensError(unreadable, rows.length);
    }

    return { resealed, total: rows.length };
  } finally {
    await dataSource.destroy();
  }
}

/** Re-seals the rows one by one; a row that does not open is set aside, not a stop. */
async function resealEach(store: TokenStore, locationIds: string[]) {
  let resealed = 0;
  const unreadable: StoredTokenUnreadableError[] = [];
  for (const locationId of locationIds) {
    try {
      if (await store.reseal(locationId)) resealed += 1;
    } catch (error) {
      if (!(error instanceof StoredTokenUnreadableError)) throw error;
      unreadable.push(error);
    }
  }

  return { resealed, unreadable };
}

// Run as a command (tools/run-ts.cjs leaves the entry in argv[1]), not when imported by a test.
if (path.resolve(process.argv[1] ?? '') === __filename) {
  reencryptTokens().catch((error: Error) => {
    process.stderr.write(`tokens-reencrypt: ${error.message}\n`);
    process.exit(1);
  });
}
