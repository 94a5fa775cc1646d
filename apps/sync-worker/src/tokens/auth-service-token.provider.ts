import { Logger } from '@nestjs/common';

import type { AccessTokenProvider } from '@sm/ghl-client';

import { LocationUnavailableError, UnavailableReason } from './location-unavailable.error';

export interface AuthServiceTokenSettings {
  authServiceUrl: string;
  serviceToken: string;
  /** A cached token is not handed out when it expires sooner than this (ms). Default 60 s. */
  expiryMarginMs?: number;
  /** Per-request timeout (ms). Default 10 s. */
  timeoutMs?: number;
}

interface CachedToken {
  accessToken: string;
  expiresAtMs: number;
}

interface TokenResponse {
  locationId: string;
  accessToken: string;
  expiresAt: string;
}

/**
 * Access tokens from the auth service's internal endpoint, cached per location until shortly
 * before they expire. Concurrent callers for one location share one request. Refresh tokens
 * never reach this process.
 */
export class AuthServiceTokenProvider implements AccessTokenProvider {
  private readonly logger = new Logger(AuthServiceTokenProvider.name);
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly expiryMarginMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly settings: AuthServiceTokenSettings) {
    this.expiryMarginMs = settings.expiryMarginMs ?? 60_000;
    this.timeoutMs = settings.timeoutMs ?? 10_000;
  }

  async getAccessToken(locationId: string, options?: { forceRefresh?: boolean }): Promise<string> {
    const forceRefresh = options?.forceRefresh ?? false;
    const cached = this.cache.get(locationId);
    const isFresh = cached !== undefined && cached.expiresAtMs - this.expiryMarginMs > Date.now();
    if (isFresh && !forceRefresh) return cached.accessToken;

    if (forceRefresh) this.cache.delete(locationId);
    const token = await this.requestOnce(locationId, forceRefresh);

    return token.accessToken;
  }

  /** Drops what is cached for a location (after an uninstall, or in tests). */
  forget(locationId: string): void {
    this.cache.delete(locationId);
  }

  private requestOnce(locationId: string, forceRefresh: boolean): Promise<CachedToken> {
    const pending = this.inFlight.get(locationId);
    if (pending && !forceRefresh) return pending;

    const request = this.request(locationId, forceRefresh)
      .then((token) => {
        this.cache.set(locationId, token);

        return token;
      })
      .finally(() => this.inFlight.delete(locationId));
    this.inFlight.set(locationId, request);

    return request;
  }

  private async request(locationId: string, forceRefresh: boolean): Promise<CachedToken> {
    const url = new URL(
      `/internal/locations/${encodeURIComponent(locationId)}/access-token`,
      this.settings.authServiceUrl,
    );
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.settings.serviceToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ forceRefresh }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });

    if (response.ok) return this.readToken((await response.json()) as TokenResponse);
    throw await this.refusal(locationId, response);
  }

  private readToken(body: TokenResponse): CachedToken {
    const expiresAtMs = Date.parse(body.expiresAt);
    if (typeof body.accessToken !== 'string' || Number.isNaN(expiresAtMs)) {
      throw new Error('the auth service answered without accessToken or expiresAt');
    }

    return { accessToken: body.accessToken, expiresAtMs };
  }

  private async refusal(locationId: string, response: Response): Promise<Error> {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    if (response.status === 404) return new LocationUnavailableError(locationId, 'not_connected');
    if (response.status === 409) {
      const reason = unavailableReason(body.error);
      this.logger.warn({ locationId, reason }, 'location token unavailable');

      return new LocationUnavailableError(locationId, reason);
    }
    if (response.status === 401) {
      // Our own credential is wrong: every location fails alike, and an operator must act.
      this.logger.error({ locationId }, 'auth service refused the service token');
    }

    return new Error(`auth service answered ${response.status} for a location token`);
  }
}

/** The 409's reason; one this worker does not know yet waits as a re-auth does. */
function unavailableReason(error: string | undefined): UnavailableReason {
  return error === 'paused' || error === 'token_unreadable' ? error : 'reauth_required';
}
