import { Inject, Injectable, Logger } from '@nestjs/common';
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
  private readonly logger = new Logger(TokenStore.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TokenCipher) private readonly cipher: TokenCipher,
  ) {}

  /**
   * Reads and opens the row. A row that opens ends its unreadable-token episode, if one is open:
   * best effort, as the read may be served by a database that takes no writes.
   */
  async read(locationId: string): Promise<StoredTokens | null> {
    const manager = this.dataSource.manager;
    const found = await this.find(manager, locationId, false);
    if (!found) return null;

    const tokens = this.open(found.row);
    if (found.isEpisodeOpen) {
      await this.closeEpisode(manager, locationId).catch((error: Error) =>
        this.logger.warn({ locationId, err: error.message }, 'unreadable episode not closed'),
      );
    }

    return tokens;
  }

  /** Reads the row under `FOR UPDATE`: the caller's transaction holds the location's lock. */
  async readLocked(manager: EntityManager, locationId: string): Promise<StoredTokens | null> {
    const found = await this.find(manager, locationId, true);
    if (!found) return null;

    const tokens = this.open(found.row);
    if (found.isEpisodeOpen) await this.closeEpisode(manager, locationId);

    return tokens;
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
    // Sealed with this ring: a failure to open the new row is a new episode.
    await this.closeEpisode(manager, locationId);

    return { locationId, ...pair, generation: rows[0].generation };
  }

  async delete(manager: EntityManager, locationId: string): Promise<void> {
    await manager.delete(ConnectionToken, { locationId });
    await this.closeEpisode(manager, locationId);
  }

  /**
   * Re-seals one row under the newest key, keeping its generation: a re-encryption is not a
   * new token. The row is opened first, even when its header already names the newest key: the
   * id says which key sealed it, not that the ring holds that key's bytes. Returns whether the
   * row changed; throws {@link StoredTokenUnreadableError} for a row no key of the ring opens.
   */
  async reseal(locationId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const found = await this.find(manager, locationId, true);
      if (!found) return false;

      const { row } = found;
      const pair = this.open(row);
      if (found.isEpisodeOpen) await this.closeEpisode(manager, locationId);
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

  /** The row, and whether its location has an unreadable-token episode open, in one query. */
  private async find(manager: EntityManager, locationId: string, isLocked: boolean) {
    const query = manager
      .getRepository(ConnectionToken)
      .createQueryBuilder('token')
      .addSelect(
        `EXISTS (SELECT 1 FROM token_unreadable_episodes episode
                  WHERE episode.location_id = token.location_id AND episode.closed_at IS NULL)`,
        'episode_open',
      )
      .where('token.location_id = :locationId', { locationId });
    if (isLocked) query.setLock('pessimistic_write', undefined, ['token']);
    const { entities, raw } = await query.getRawAndEntities<{ episode_open: boolean }>();
    if (entities.length === 0) return null;

    return { row: entities[0], isEpisodeOpen: raw[0].episode_open };
  }

  /** The row opens (or is new, or gone): the next failure to open it alerts again. */
  private async closeEpisode(manager: EntityManager, locationId: string): Promise<void> {
    await manager.query(
      `UPDATE token_unreadable_episodes SET closed_at = now()
        WHERE location_id = $1 AND closed_at IS NULL`,
      [locationId],
    );
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
