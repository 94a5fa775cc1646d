import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

export type UserType = 'Location' | 'Company';

export interface AccessGrant {
  userType: UserType;
  companyId: string;
  /** Set on Location tokens only. */
  locationId?: string;
  userId: string;
  scopes: string[];
}

export interface AccessToken extends AccessGrant {
  expiresAt: number;
}

export interface AuthorizationCode extends AccessGrant {
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

const CODE_TTL_MS = 10 * 60_000;
const REFRESH_TTL_MS = 365 * 86_400_000;

const opaque = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/**
 * Codes, access tokens and refresh tokens, in memory. Codes and refresh tokens are single-use:
 * redeeming one deletes it, so a second attempt is `invalid_grant`, as at GHL.
 */
@Injectable()
export class TokenStore {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, AccessGrant & { expiresAt: number }>();

  issueCode(code: Omit<AuthorizationCode, 'expiresAt'>): string {
    const value = opaque('sbx_code_');
    this.codes.set(value, { ...code, expiresAt: Date.now() + CODE_TTL_MS });

    return value;
  }

  redeemCode(value: string): AuthorizationCode | undefined {
    const code = this.codes.get(value);
    this.codes.delete(value);

    return code && code.expiresAt > Date.now() ? code : undefined;
  }

  issueAccessToken(grant: AccessGrant, ttlSeconds: number): string {
    const value = opaque('sbx_at_');
    this.accessTokens.set(value, { ...grant, expiresAt: Date.now() + ttlSeconds * 1000 });

    return value;
  }

  issueRefreshToken(grant: AccessGrant): string {
    const value = opaque('sbx_rt_');
    this.refreshTokens.set(value, { ...grant, expiresAt: Date.now() + REFRESH_TTL_MS });

    return value;
  }

  /** The grant behind a refresh token, which dies in the same step. */
  redeemRefreshToken(value: string): AccessGrant | undefined {
    const grant = this.refreshTokens.get(value);
    this.refreshTokens.delete(value);
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    const { expiresAt: _expiresAt, ...rest } = grant;

    return rest;
  }

  accessToken(value: string): AccessToken | undefined {
    return this.accessTokens.get(value);
  }
}
