import type { GhlLocationTokenResponse, GhlTokenResponse } from './ghl-types';

/**
 * GHL's OAuth token calls (form-encoded, as the v2 spec defines them). Implemented by
 * `GhlOAuthClient` (oauth-client.ts). Failures throw `GhlOAuthError`.
 */
export interface OAuthApi {
  /** POST /oauth/token, grant_type=authorization_code. */
  exchangeCode(input: {
    code: string;
    redirectUri: string;
    userType?: 'Location' | 'Company';
  }): Promise<GhlTokenResponse>;

  /**
   * POST /oauth/token, grant_type=refresh_token. GHL's refresh tokens are single-use: the one
   * sent is dead once this resolves, and the returned pair must be stored before anyone uses it.
   */
  refresh(input: {
    refreshToken: string;
    userType?: 'Location' | 'Company';
  }): Promise<GhlTokenResponse>;

  /** POST /oauth/locationToken with an agency (Company) access token. */
  mintLocationToken(input: {
    companyAccessToken: string;
    companyId: string;
    locationId: string;
  }): Promise<GhlLocationTokenResponse>;
}

/**
 * An OAuth failure. `error` is the OAuth error code where GHL sent one (`invalid_grant` means
 * the refresh token or code is dead; a person must reinstall unless another replica already
 * rotated it).
 */
export class GhlOAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string | undefined,
    readonly description: string,
  ) {
    super(`GHL OAuth failed (${status}${error ? ` ${error}` : ''}): ${description}`);
    this.name = 'GhlOAuthError';
  }

  get isInvalidGrant(): boolean {
    return this.error === 'invalid_grant';
  }

  get isTransient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}
