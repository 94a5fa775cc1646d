import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';

import type { AuthServiceConfig } from '../config/auth-service.config';
import { TokenCipher } from '../crypto/token-cipher';
import { StoredTokenUnreadableError } from './token-errors';
import { TokenStore } from './token-store.service';

/** The variable that holds the key ring: what an operator must mend. */
export const KEY_RING_VARIABLE = 'TOKEN_ENCRYPTION_KEYS' satisfies keyof AuthServiceConfig;

/**
 * Rows tried per key id. A ring key with the wrong bytes opens none of them; one altered row
 * among them neither passes for a wrong key nor stops the service.
 */
const SAMPLES_PER_KEY = 3;

/** A key id the stored rows use, of which the ring opened none of the rows tried. */
export interface UnreadableKey {
  keyId: string;
  rows: number;
  /** The rows tried. */
  locationIds: string[];
  /** Why the last of them did not open (e.g. the key id is not in the ring). */
  reason: string;
}

export interface KeyRingReport {
  unreadableKeys: UnreadableKey[];
  /** Rows tried that did not open, sealed under a key that opened another row tried. */
  unreadableRows: StoredTokenUnreadableError[];
}

/** The key ring cannot open what is stored: names the variable and key ids, never a key. */
export class KeyRingMismatchError extends Error {
  constructor(readonly keys: UnreadableKey[]) {
    super(
      `${KEY_RING_VARIABLE} does not open the stored tokens: ${keys.map(explain).join('; ')}. ` +
        'The ring must hold, under its id, each key that sealed a stored token.',
    );
    this.name = 'KeyRingMismatchError';
  }
}

/**
 * Whether the token key ring opens the stored tokens. A key id says which key sealed a row, not
 * that the ring holds that key's bytes: a key regenerated under its old id, or pasted from
 * another environment, would otherwise show only when a token is asked for. So for each key id
 * the rows use, a few of its rows are opened. The ring does not open a key id's rows when none
 * of them opens, unless the only row tried is of an older key still in the ring: there a wrong
 * key and one altered row look alike, and refusing to start over one row would stop every
 * location (and the reinstall that replaces that row). Such a row is reported instead.
 *
 * At boot, a ring that does not open a key id's rows stops the service before it serves a
 * request or seals a token with the wrong key.
 *
 * TODO: a key id no row uses yet proves nothing here, so replicas given one new key id with
 * different bytes all start, and each seals rows the others cannot open. A check value per key
 * id, stored at its first use, would catch it; until then those rows are answered
 * `token_unreadable`, logged, and alerted to an admin once per episode with their key id,
 * which points at the ring.
 */
@Injectable()
export class KeyRingCheck implements OnModuleInit {
  private readonly logger = new Logger(KeyRingCheck.name);

  constructor(
    private readonly store: TokenStore,
    @Inject(TokenCipher) private readonly cipher: TokenCipher,
  ) {}

  async onModuleInit(): Promise<void> {
    const report = await this.check();
    for (const row of report.unreadableRows) {
      const { locationId, keyId, reason } = row;
      this.logger.error({ locationId, keyId, reason }, 'stored token cannot be opened');
    }
    // The boot fails with this error as its last word on stderr: a log line written now would
    // be lost with the process.
    if (report.unreadableKeys.length > 0) throw new KeyRingMismatchError(report.unreadableKeys);
  }

  async check(): Promise<KeyRingReport> {
    const report: KeyRingReport = { unreadableKeys: [], unreadableRows: [] };
    for (const key of await this.store.keysInUse(SAMPLES_PER_KEY)) {
      const failures = await this.unopened(key.locationIds);
      const opensNone = failures.length === key.locationIds.length;
      const isOneOlderRow = key.locationIds.length === 1 && this.isOlderKey(key.keyId);
      if (opensNone && !isOneOlderRow) {
        report.unreadableKeys.push({ ...key, reason: failures[failures.length - 1].reason });
      } else {
        report.unreadableRows.push(...failures);
      }
    }

    return report;
  }

  /** Whether the ring holds the key id, and not as its newest key. */
  private isOlderKey(keyId: string): boolean {
    return this.cipher.hasKey(keyId) && keyId !== this.cipher.currentKeyId;
  }

  /** The rows that do not open; a row deleted meanwhile is not one of them. */
  private async unopened(locationIds: string[]): Promise<StoredTokenUnreadableError[]> {
    const failures: StoredTokenUnreadableError[] = [];
    for (const locationId of locationIds) {
      try {
        await this.store.read(locationId);
      } catch (error) {
        if (!(error instanceof StoredTokenUnreadableError)) throw error;
        failures.push(error);
      }
    }

    return failures;
  }
}

function explain(key: UnreadableKey): string {
  const tried = `${key.locationIds.length} of its ${key.rows}: ${key.locationIds.join(', ')}`;

  return `key ${key.keyId} opens none of the rows tried (${tried}; ${key.reason})`;
}
