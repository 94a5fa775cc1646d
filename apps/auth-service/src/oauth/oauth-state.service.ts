import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';

export const STATE_LIFETIME_MS = 10 * 60_000;
/** How often a process deletes long-expired states: the DELETE scans the whole table. */
const PURGE_EVERY_MS = 60_000;

/**
 * Why a callback's `state` was refused; each reads as a sentence in the error page. `unbound`:
 * the browser does not hold the state's cookie (see `oauth-state-cookie.ts`).
 */
export type StateProblem = 'missing' | 'forged' | 'expired' | 'unbound' | 'reused';

export class InvalidStateError extends Error {
  constructor(readonly problem: StateProblem) {
    super(`OAuth state ${problem}`);
    this.name = 'InvalidStateError';
  }
}

/**
 * The OAuth `state`: `<nonce>.<expiresAtMs>.<hmac>`. The HMAC proves we issued it, the time
 * bounds it to ten minutes, the browser's state cookie proves this browser started the install,
 * and its nonce is written to `oauth_states` as consumed by one atomic upsert, so a state is
 * accepted once even by two replicas at the same instant.
 *
 * Issuing a state writes nothing: the signature is all a callback needs to trust it.
 * `/oauth/install` is public, and a row per start let anyone grow the table as fast as they
 * could ask. A row exists only for a state a callback spent. (Rows that an older version wrote
 * at issue, unconsumed, are still spent once.)
 *
 * A new state deletes the rows that expired over an hour ago (the first in a process, then at
 * most one a minute): a state past its signed expiry is refused before its row is looked up, so
 * such a row can never matter again.
 */
@Injectable()
export class OAuthStateService {
  private purgedAt = -Infinity;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServiceConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async issue(): Promise<string> {
    const nonce = randomBytes(18).toString('base64url');
    const expiresAt = new Date(Date.now() + STATE_LIFETIME_MS);
    if (Date.now() - this.purgedAt >= PURGE_EVERY_MS) {
      this.purgedAt = Date.now();
      await this.dataSource.query(
        `DELETE FROM oauth_states WHERE expires_at < now() - interval '1 hour'`,
      );
    }
    const signed = `${nonce}.${expiresAt.getTime()}`;

    return `${signed}.${this.sign(signed)}`;
  }

  /** `bound`: the state the browser's cookie holds. A state that is not it stays unspent. */
  async consume(state: string | undefined, bound: string | undefined): Promise<void> {
    if (!state) throw new InvalidStateError('missing');
    const [nonce, expiresAtMs, signature, ...rest] = state.split('.');
    const isWellFormed = rest.length === 0 && Boolean(nonce && expiresAtMs && signature);
    if (!isWellFormed || !this.hasValidSignature(`${nonce}.${expiresAtMs}`, signature)) {
      throw new InvalidStateError('forged');
    }
    if (Number(expiresAtMs) <= Date.now()) throw new InvalidStateError('expired');
    if (!bound || !equalInConstantTime(bound, state)) throw new InvalidStateError('unbound');

    // TODO: during a rolling deploy, an older replica spends only states it finds a row for,
    // so a state issued here and called back there is refused as reused (start again).
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO oauth_states AS s (nonce, expires_at, consumed_at)
       VALUES ($1, $2, now())
       ON CONFLICT (nonce) DO UPDATE SET consumed_at = now()
         WHERE s.consumed_at IS NULL AND s.expires_at > now()
       RETURNING 1`,
      [nonce, new Date(Number(expiresAtMs))],
    );
    if (rows.length === 0) throw new InvalidStateError('reused');
  }

  private hasValidSignature(signed: string, signature: string): boolean {
    return equalInConstantTime(signature, this.sign(signed));
  }

  private sign(signed: string): string {
    return createHmac('sha256', this.config.OAUTH_STATE_SECRET).update(signed).digest('base64url');
  }
}

function equalInConstantTime(presented: string, expected: string): boolean {
  const [a, b] = [Buffer.from(presented), Buffer.from(expected)];

  return a.length === b.length && timingSafeEqual(a, b);
}
