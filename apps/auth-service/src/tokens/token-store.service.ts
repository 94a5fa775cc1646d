import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { Connection, ConnectionStatus, ConnectionToken } from '@sm/entities';

import { TokenCipher, TokenCipherError, sealContext } from '../crypto/token-cipher';
import { StoredTokenUnreadableError } from './token-errors';

/** A token pair in the clear: lives in memory for one call, never logged, never persisted so. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date;
}

export interface StoredTokens extends TokenPair {
  locationId: string;
  generation: number;
}

/** A key id the stored rows use: how many rows it sealed, and a few of them to try. */
export interface KeyInUse {
  keyId: string;
  rows: number;
  locationIds: string[];
}

export interface GrantedConnection {
  locationId: string;
  companyId: string | null;
  scopes: string[];
  credentialKind: 'oauth' | 'agency' | 'company' | 'pit';
  installedByUserId: string | null;
}

/**
 * The only reader and writer of `ghl_connection_tokens`. Tokens are sealed on the way in and
 * opened on the way out (a row that no key of the ring opens throws
 * {@link StoredTokenUnreadableError}); every write bumps `generation`, which is how a refresher
 * that waited for the lock learns that someone else refreshed first.
 */
@Injectable()
export class TokenStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TokenCipher) private readonly cipher: TokenCipher,
  ) {}

  async read(locationId: string, manager: EntityManager = this.dataSource.manager) {
    const row = await manager.findOneBy(ConnectionToken, { locationId });

    return row ? this.open(row) : null;
  }

  /** Reads the row under `FOR UPDATE`: the caller's transaction holds the location's lock. */
  async readLocked(manager: EntityManager, locationId: string): Promise<StoredTokens | null> {
    const row = await manager
      .getRepository(ConnectionToken)
      .createQueryBuilder('token')
      .setLock('pessimistic_write')
      .where('token.location_id = :locationId', { locationId })
      .getOne();

    return row ? this.open(row) : null;
  }

  /** Stores a connection and its first (or reinstalled) token pair, in one transaction. */
  async saveGrant(granted: GrantedConnection, pair: TokenPair): Promise<StoredTokens> {
    return this.dataSource.transaction(async (manager) => {
      await manager.upsert(
        Connection,
        { ...granted, status: ConnectionStatus.Active, statusReason: null },
        ['locationId'],
      );

      return this.write(manager, granted.locationId, pair);
    });
  }

  /** Upserts the sealed pair; a replaced pair gets the next generation. */
  async write(manager: EntityManager, locationId: string, pair: TokenPair): Promise<StoredTokens> {
    const rows: Array<{ generation: number }> = await manager.query(
      `INSERT INTO ghl_connection_tokens AS t
         (location_id, access_token_sealed, refresh_token_sealed, key_id,
          access_token_expires_at, generation, updated_at)
       VALUES ($1, $2, $3, $4, $5, 1, now())
       ON CONFLICT (location_id) DO UPDATE SET
         access_token_sealed = EXCLUDED.access_token_sealed,
         refresh_token_sealed = EXCLUDED.refresh_token_sealed,
         key_id = EXCLUDED.key_id,
         access_token_expires_at = EXCLUDED.access_token_expires_at,
         generation = t.generation + 1,
         updated_at = now()
       RETURNING generation`,
      [locationId, ...this.seal(locationId, pair), pair.expiresAt],
    );

    return { locationId, ...pair, generation: rows[0].generation };
  }

  async delete(manager: EntityManager, locationId: string): Promise<void> {
    await manager.delete(ConnectionToken, { locationId });
  }

  /**
   * Re-seals one row under the newest key, keeping its generation: a re-encryption is not a
   * new token. The row is opened first, even when its header already names the newest key: the
   * id says which key sealed it, not that the ring holds that key's bytes. Returns whether the
   * row changed; throws {@link StoredTokenUnreadableError} for a row no key of the ring opens.
   */
  async reseal(locationId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager
        .getRepository(ConnectionToken)
        .createQueryBuilder('token')
        .setLock('pessimistic_write')
        .where('token.location_id = :locationId', { locationId })
        .getOne();
      if (!row) return false;

      const pair = this.open(row);
      if (this.isSealedWithCurrentKey(row)) return false;
      const [access, refresh, keyId] = this.seal(locationId, pair);
      await manager.update(
        ConnectionToken,
        { locationId },
        { accessTokenSealed: access, refreshTokenSealed: refresh, keyId },
      );

      return true;
    });
  }

  /**
   * Each key id the stored rows were sealed under, with its row count and the ids of up to
   * `samples` of its rows, the most recently written first.
   */
  async keysInUse(samples: number): Promise<KeyInUse[]> {
    const rows: KeyInUse[] = await this.dataSource.query(
      `SELECT key_id AS "keyId", count(*)::int AS "rows",
              (array_agg(location_id ORDER BY updated_at DESC))[1:$1] AS "locationIds"
         FROM ghl_connection_tokens
        GROUP BY key_id
        ORDER BY key_id`,
      [samples],
    );

    return rows;
  }

  private isSealedWithCurrentKey(row: ConnectionToken): boolean {
    const sealed = [row.accessTokenSealed, row.refreshTokenSealed].filter(
      (value): value is string => value !== null,
    );

    return sealed.every((value) => TokenCipher.keyIdOf(value) === this.cipher.currentKeyId);
  }

  private seal(locationId: string, pair: TokenPair): [string, string | null, string] {
    return [
      this.cipher.seal(pair.accessToken, sealContext.access(locationId)),
      pair.refreshToken === null
        ? null
        : this.cipher.seal(pair.refreshToken, sealContext.refresh(locationId)),
      this.cipher.currentKeyId,
    ];
  }

  private open(row: ConnectionToken): StoredTokens {
    const { locationId, refreshTokenSealed } = row;

    return {
      locationId,
      accessToken: this.openField(row, row.accessTokenSealed, sealContext.access),
      refreshToken:
        refreshTokenSealed === null
          ? null
          : this.openField(row, refreshTokenSealed, sealContext.refresh),
      expiresAt: row.accessTokenExpiresAt,
      generation: row.generation,
    };
  }

  private openField(
    row: ConnectionToken,
    sealed: string,
    context: (locationId: string) => string,
  ): string {
    const { locationId } = row;
    try {
      return this.cipher.open(sealed, context(locationId));
    } catch (error) {
      if (!(error instanceof TokenCipherError)) throw error;
      // A value not in the sealed format has no key id of its own to name: the row's is named.
      const keyId = TokenCipher.keyIdOf(sealed) || row.keyId;
      const { reason, failure } = error;
      throw new StoredTokenUnreadableError(locationId, keyId, reason, failure, row.generation);
    }
  }
}
