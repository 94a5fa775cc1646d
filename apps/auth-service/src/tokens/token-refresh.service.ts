import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';
import { GhlOAuthError, GhlTokenResponse, OAuthApi } from '@sm/ghl-client';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { OAUTH_API } from '../oauth/oauth-api.provider';
import { RefreshScheduler } from './refresh-scheduler.service';
import {
  ConnectionNotFoundError,
  ConnectionUnavailableError,
  RefreshUnavailableError,
  StoredTokenUnreadableError,
} from './token-errors';
import { TokenReadCache } from './token-read-cache';
import { StoredTokens, TokenPair, TokenStore } from './token-store.service';
import { UnreadableTokenAlerts } from './unreadable-token-alerts.service';

/** What the internal endpoint hands a sync worker: never a refresh token. */
export interface IssuedAccessToken {
  locationId: string;
  accessToken: string;
  expiresAt: string;
  scopes: string[];
}

/** Private Integration Tokens do not expire; workers still re-ask hourly to pick up a new one. */
const PIT_REASK_MS = 3_600_000;
/** A waiter gives up on the lock after this long rather than pile up connections. */
const LOCK_TIMEOUT = '15s';
/** The longest a read of a connection and its token is kept, even when no change is noticed. */
const READ_MAX_AGE_MS = 300_000;
/** Transient failures of GHL's token endpoint are retried in place this many times. */
const TRANSIENT_DELAYS_MS = [250, 1_000];

/**
 * What a read keeps in memory: never the refresh token, which is in the clear only for the
 * refresh that spends it (that refresh re-reads the row under its lock).
 */
type KeptTokens = Omit<StoredTokens, 'refreshToken'>;

type LockedOutcome =
  | { kind: 'tokens'; tokens: StoredTokens; refreshed: boolean }
  | { kind: 'failed'; error: unknown; sentGeneration: number };

/**
 * Hands out access tokens and refreshes them: once per expiry across every replica. GHL's
 * refresh tokens are single-use, so a refresh happens only while holding the location's row
 * lock (`SELECT … FOR UPDATE` on its token row), after re-reading the row under that lock, and
 * the new pair is committed before the lock is released or the token handed out. Within one
 * process, concurrent callers for a location share one attempt.
 */
@Injectable()
export class TokenRefreshService {
  private readonly logger = new Logger(TokenRefreshService.name);
  private readonly inFlight = new Map<string, Promise<StoredTokens>>();
  private readonly reads = new TokenReadCache<{ connection: Connection; stored: KeptTokens }>(
    READ_MAX_AGE_MS,
  );

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServiceConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(OAUTH_API) private readonly oauth: OAuthApi,
    private readonly store: TokenStore,
    private readonly scheduler: RefreshScheduler,
    private readonly unreadableAlerts: UnreadableTokenAlerts,
  ) {}

  async accessToken(locationId: string, forceRefresh: boolean): Promise<IssuedAccessToken> {
    return this.reportingUnreadable(this.handOut(locationId, forceRefresh));
  }

  private async handOut(locationId: string, forceRefresh: boolean): Promise<IssuedAccessToken> {
    // A forced refresh replaces the token the caller was handed before it asked, not one
    // written while its request waited for the change notices: that one it has not seen.
    const handedOut = forceRefresh ? this.reads.peek(locationId)?.stored.generation : undefined;
    const { connection, stored } = await this.reads.get(locationId, () =>
      this.readUsable(locationId),
    );
    if (!forceRefresh && this.isFresh(stored)) return this.issue(connection, stored);

    const seen = Math.min(handedOut ?? stored.generation, stored.generation);
    const tokens = await this.refreshOnce(locationId, seen, forceRefresh);
    this.reads.replace(locationId, { connection, stored: kept(tokens) });

    return this.issue(connection, tokens);
  }

  /**
   * Reads the connection and its token at once. The connection's refusal comes first: a token
   * that does not open matters only for a connection that would be served.
   */
  private async readUsable(locationId: string) {
    const [connection, stored] = await Promise.allSettled([
      this.usableConnection(locationId),
      this.store.read(locationId),
    ]);
    if (connection.status === 'rejected') throw connection.reason;
    if (stored.status === 'rejected') throw stored.reason;
    if (!stored.value) throw new ConnectionNotFoundError(locationId);

    return { connection: connection.value, stored: kept(stored.value) };
  }

  /** A change notice from Postgres for a location, or `*` for all of them. */
  onConnectionChanged(locationId: string): void {
    if (locationId === '*') return this.reads.forgetAll();
    this.reads.forget(locationId);
  }

  /**
   * Whether change notices are arriving, so that what was read may be kept; `caughtUp` resolves
   * once every notice committed before its call has been handled.
   */
  setChangeNotices(isArriving: boolean, caughtUp?: () => Promise<void>): void {
    this.reads.setNotified(isArriving, caughtUp);
  }

  /**
   * The proactive refresh (the `token-refresh` job): refreshes an active connection nearing
   * expiry, or retries a paused one. Throws while GHL still reports the location inactive, so
   * that the job retries with backoff.
   */
  async refreshForSchedule(locationId: string): Promise<void> {
    await this.reportingUnreadable(this.refreshIfDue(locationId));
  }

  private async refreshIfDue(locationId: string): Promise<void> {
    const connection = await this.dataSource.manager.findOneBy(Connection, { locationId });
    if (!connection || !this.isRefreshable(connection.status)) return;
    const stored = await this.store.read(locationId);
    if (!stored) return;

    const isPaused = connection.status === ConnectionStatus.Paused;
    const isDueSoon = !this.isFresh(stored, 60_000);
    if (isPaused || isDueSoon) await this.refreshOnce(locationId, stored.generation, isPaused);
  }

  /**
   * A stored token that no key of the ring opens needs an operator (the ring mended, or the
   * location reinstalled): the caller is refused, the row and key id are logged, and an admin
   * is alerted once per episode of the row not opening (not awaited: the refusal does not wait
   * on the queue).
   */
  private reportingUnreadable<T>(work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      if (error instanceof StoredTokenUnreadableError) {
        const { locationId, keyId, reason } = error;
        this.logger.error({ locationId, keyId, reason }, 'stored token cannot be opened');
        void this.unreadableAlerts.report(error);
      }
      throw error;
    });
  }

  /** Seconds of margin: a token this close to expiry is refreshed before it is handed out. */
  isFresh(tokens: Pick<StoredTokens, 'expiresAt'>, slackMs = 0): boolean {
    const marginMs = this.config.TOKEN_REFRESH_MARGIN_SECONDS * 1_000 + slackMs;

    return tokens.expiresAt.getTime() - marginMs > Date.now();
  }

  private refreshOnce(locationId: string, seenGeneration: number, force: boolean) {
    const running = this.inFlight.get(locationId);
    if (running) return running;

    const attempt = this.refreshWithRetries(locationId, seenGeneration, force).finally(() =>
      this.inFlight.delete(locationId),
    );
    this.inFlight.set(locationId, attempt);

    return attempt;
  }

  private async refreshWithRetries(locationId: string, seenGeneration: number, force: boolean) {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.refreshUnderLock(locationId, seenGeneration, force);
      if (outcome.kind === 'tokens') return this.afterRefresh(outcome);

      const isRetryable =
        outcome.error instanceof GhlOAuthError &&
        outcome.error.isTransient &&
        attempt < TRANSIENT_DELAYS_MS.length;
      if (!isRetryable) return this.onRefreshFailed(locationId, outcome);
      await new Promise((resolve) => setTimeout(resolve, TRANSIENT_DELAYS_MS[attempt]));
    }
  }

  private refreshUnderLock(
    locationId: string,
    seenGeneration: number,
    force: boolean,
  ): Promise<LockedOutcome> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      const current = await this.store.readLocked(manager, locationId);
      const connection = await manager.findOneBy(Connection, { locationId });
      if (connection?.status === ConnectionStatus.ReauthRequired) {
        // Another replica's refresh was refused while this one waited for the lock.
        throw new ConnectionUnavailableError(locationId, 'reauth_required');
      }
      if (!current || !connection || !this.isRefreshable(connection.status)) {
        throw new ConnectionNotFoundError(locationId);
      }

      const someoneRefreshed = current.generation !== seenGeneration;
      const isStillGood = force ? someoneRefreshed : this.isFresh(current);
      if (isStillGood) return { kind: 'tokens', tokens: current, refreshed: false };

      let pair: TokenPair;
      try {
        pair = await this.obtainNewPair(connection, current);
      } catch (error) {
        return { kind: 'failed', error, sentGeneration: current.generation };
      }
      const tokens = await this.store.write(manager, locationId, pair);
      await this.markActive(manager, locationId);
      this.logger.log({ locationId, generation: tokens.generation }, 'token refreshed');

      return { kind: 'tokens', tokens, refreshed: true };
    });
  }

  private async afterRefresh(outcome: { tokens: StoredTokens; refreshed: boolean }) {
    const { tokens } = outcome;
    if (outcome.refreshed) {
      // Not awaited: the callers waiting for this token should not also wait for Redis.
      void this.scheduler
        .scheduleRefresh(tokens.locationId, tokens.generation, tokens.expiresAt)
        .catch((error: Error) =>
          // The token is stored; a missed schedule only means the next caller refreshes.
          this.logger.warn(
            { locationId: tokens.locationId, err: error.message },
            'schedule failed',
          ),
        );
    }

    return tokens;
  }

  /**
   * `invalid_grant` means the refresh token we sent is dead. If the stored one changed
   * meanwhile, someone else rotated it: use theirs. Otherwise a person must reinstall.
   */
  private async onRefreshFailed(
    locationId: string,
    outcome: { error: unknown; sentGeneration: number },
  ): Promise<StoredTokens> {
    const { error, sentGeneration } = outcome;
    if (!(error instanceof GhlOAuthError)) throw error;

    if (error.isInvalidGrant) {
      const latest = await this.store.read(locationId);
      if (latest && latest.generation !== sentGeneration) return latest;
      await this.markReauthRequired(locationId, sentGeneration);
      throw new ConnectionUnavailableError(locationId, 'reauth_required');
    }
    if (isLocationInactive(error)) {
      await this.markPaused(locationId);
      throw new ConnectionUnavailableError(locationId, 'paused');
    }
    this.logger.error({ locationId, status: error.status, err: error.error }, 'refresh failed');
    if (error.isTransient) throw new RefreshUnavailableError(locationId);
    throw error;
  }

  private async obtainNewPair(connection: Connection, current: StoredTokens): Promise<TokenPair> {
    if (connection.credentialKind === 'agency' && current.refreshToken === null) {
      return this.mintFromCompany(connection);
    }
    if (current.refreshToken === null) {
      // A Private Integration Token cannot be refreshed: a rejected one must be replaced.
      throw new GhlOAuthError(401, 'invalid_grant', 'private integration token rejected');
    }
    const userType = connection.credentialKind === 'company' ? 'Company' : 'Location';
    const response = await this.oauth.refresh({ refreshToken: current.refreshToken, userType });

    return pairFrom(response, current.refreshToken);
  }

  /** Location tokens minted from an agency token without a refresh token are minted again. */
  private async mintFromCompany(connection: Connection): Promise<TokenPair> {
    const companyId = connection.companyId;
    if (!companyId) throw new GhlOAuthError(401, 'invalid_grant', 'no company connection');
    const company = await this.companyAccessToken(companyId);
    const response = await this.oauth.mintLocationToken({
      companyAccessToken: company,
      companyId,
      locationId: connection.locationId,
    });

    return pairFrom(response as GhlTokenResponse, null);
  }

  async companyAccessToken(companyId: string): Promise<string> {
    const stored = await this.store.read(companyId);
    if (!stored) throw new ConnectionNotFoundError(companyId);
    if (this.isFresh(stored)) return stored.accessToken;

    return (await this.refreshOnce(companyId, stored.generation, false)).accessToken;
  }

  private async usableConnection(locationId: string): Promise<Connection> {
    const connection = await this.dataSource.manager.findOneBy(Connection, { locationId });
    const isServed = connection && connection.credentialKind !== 'company';
    if (!isServed || connection.status === ConnectionStatus.Uninstalled) {
      throw new ConnectionNotFoundError(locationId);
    }
    if (connection.status === ConnectionStatus.ReauthRequired) {
      throw new ConnectionUnavailableError(locationId, 'reauth_required');
    }
    if (connection.status === ConnectionStatus.Paused) {
      throw new ConnectionUnavailableError(locationId, 'paused');
    }

    return connection;
  }

  private isRefreshable(status: ConnectionStatus): boolean {
    return status === ConnectionStatus.Active || status === ConnectionStatus.Paused;
  }

  private issue(connection: Connection, tokens: KeptTokens): IssuedAccessToken {
    const isPit = connection.credentialKind === 'pit';
    const expiresAt = isPit ? new Date(Date.now() + PIT_REASK_MS) : tokens.expiresAt;

    return {
      locationId: connection.locationId,
      accessToken: tokens.accessToken,
      expiresAt: expiresAt.toISOString(),
      scopes: connection.scopes,
    };
  }

  private async markActive(manager: EntityManager, locationId: string): Promise<void> {
    await manager.update(
      Connection,
      { locationId, status: ConnectionStatus.Paused },
      { status: ConnectionStatus.Active, statusReason: null },
    );
  }

  /** Only the caller that flips the status alerts: concurrent failures alert once. */
  private async markReauthRequired(locationId: string, generation: number): Promise<void> {
    const rows: Array<{ flipped: number }> = await this.dataSource.query(
      `WITH flipped AS (
         UPDATE ghl_connections SET status = $2, status_reason = $3, updated_at = now()
          WHERE location_id = $1 AND status IN ('active', 'paused')
            AND EXISTS (SELECT 1 FROM ghl_connection_tokens
                         WHERE location_id = $1 AND generation = $4)
         RETURNING 1)
       SELECT count(*)::int AS flipped FROM flipped`,
      [locationId, ConnectionStatus.ReauthRequired, 'GHL refused the refresh token', generation],
    );
    const flipped = rows[0].flipped > 0;
    this.reads.forget(locationId);
    this.logger.error({ locationId, generation }, 'connection needs reauthorization');
    if (flipped) await this.scheduler.alertReauthRequired(locationId, generation);
  }

  private async markPaused(locationId: string): Promise<void> {
    await this.dataSource.manager.update(
      Connection,
      { locationId, status: ConnectionStatus.Active },
      { status: ConnectionStatus.Paused, statusReason: 'GHL reports the location as not active' },
    );
    this.reads.forget(locationId);
    this.logger.warn({ locationId }, 'connection paused: location not active');
    await this.scheduler.scheduleRetryWhilePaused(locationId);
  }
}

/** GHL answers a refresh for a deactivated sub-account with 400 "Location is not active". */
function isLocationInactive(error: GhlOAuthError): boolean {
  return /location is not active/i.test(error.description);
}

function kept(tokens: StoredTokens): KeptTokens {
  const { locationId, accessToken, expiresAt, generation } = tokens;

  return { locationId, accessToken, expiresAt, generation };
}

function pairFrom(response: GhlTokenResponse, previousRefresh: string | null): TokenPair {
  if (!response.access_token) throw new GhlOAuthError(502, undefined, 'no access_token');
  const lifetimeSeconds = response.expires_in ?? 86_399;

  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previousRefresh,
    expiresAt: new Date(Date.now() + lifetimeSeconds * 1_000),
  };
}
