import { DataSource } from 'typeorm';

import { ConnectionToken } from '@sm/entities';
import { freePort, ServiceProcess, startServiceProcess } from '@sm/testing';

import { keyRing } from '../../src/config/auth-service.config';
import { sealContext, TokenCipher } from '../../src/crypto/token-cipher';

/** The OAuth app the sandbox accepts (its defaults); `authEnv` uses the same. */
export const SANDBOX_APP = { clientId: 'sandbox-app-client', clientSecret: 'sandbox-app-secret' };
export const SANDBOX_COMPANY_ID = 'SMsandboxCompany0001';

export interface SandboxStats {
  requests: { total: number; byStatus: Record<string, number> };
  oauth: { codeExchanges: number; refreshes: number; refreshRejected: number };
}

/**
 * `apps/ghl-sandbox` as a real child process: GHL's OAuth with rotating single-use refresh
 * tokens, `/oauth/locationToken`, `/oauth/installedLocations`, and its fault knobs.
 */
export class GhlSandbox {
  private constructor(
    readonly url: string,
    private readonly process: ServiceProcess,
  ) {}

  /** `locations`: the seeded location ids (few contacts each: the tests need only OAuth). */
  static async start(locations: string[], env: Record<string, string> = {}): Promise<GhlSandbox> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process = await startServiceProcess({
      entry: 'apps/ghl-sandbox/src/main.ts',
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        SANDBOX_LOCATIONS: locations.map((id) => `${id}:2`).join(','),
        SANDBOX_COMPANY_ID,
        LOG_LEVEL: 'warn',
        ...env,
      },
      readyUrl: `${url}/health/live`,
    });

    return new GhlSandbox(url, process);
  }

  stop(): Promise<number | null> {
    return this.process.stop();
  }

  async faults(knobs: Record<string, unknown>): Promise<void> {
    await this.control('POST', '/faults', knobs);
  }

  async resetFaults(): Promise<void> {
    await this.control('DELETE', '/faults');
  }

  stats(): Promise<SandboxStats> {
    return this.control('GET', '/stats') as Promise<SandboxStats>;
  }

  /** Whether GHL takes this access token for a read of the location's contacts. */
  async accepts(accessToken: string, locationId: string): Promise<boolean> {
    const response = await fetch(`${this.url}/contacts/?locationId=${locationId}&limit=1`, {
      headers: { authorization: `Bearer ${accessToken}`, version: '2021-07-28' },
    });

    return response.status === 200;
  }

  /** A POST /oauth/token refresh_token grant sent by someone else than the auth service. */
  async refresh(refreshToken: string): Promise<{ status: number; accessToken?: string }> {
    const response = await fetch(`${this.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: SANDBOX_APP.clientId,
        client_secret: SANDBOX_APP.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      }),
    });
    const body = (await response.json()) as { access_token?: string };

    return { status: response.status, accessToken: body.access_token };
  }

  /** Consent and code exchange outside the auth service: a token as a person would paste it. */
  async locationAccessToken(locationId: string, scope = 'contacts.readonly'): Promise<string> {
    const redirectUri = 'http://127.0.0.1:9/oauth/callback';
    const consent = new URL('/oauth/chooselocation', this.url);
    consent.search = new URLSearchParams({
      client_id: SANDBOX_APP.clientId,
      redirect_uri: redirectUri,
      scope,
      locationId,
    }).toString();
    const redirect = await fetch(consent, { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const response = await fetch(`${this.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...{ client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret },
        ...{ grant_type: 'authorization_code', code, redirect_uri: redirectUri },
      }),
    });

    return ((await response.json()) as { access_token: string }).access_token;
  }

  private async control(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${method} ${path} answered ${response.status}`);

    return response.json();
  }
}

/**
 * The token pair stored for a location, opened with the test's key ring: lets a test act as
 * "someone else" with the stored refresh token, or check that GHL still takes it.
 */
export async function storedPair(db: DataSource, keys: string, locationId: string) {
  const row = await db.manager.findOneByOrFail(ConnectionToken, { locationId });
  const cipher = new TokenCipher(keyRing().parse(keys));

  return {
    generation: row.generation,
    accessToken: cipher.open(row.accessTokenSealed, sealContext.access(locationId)),
    refreshToken: row.refreshTokenSealed
      ? cipher.open(row.refreshTokenSealed, sealContext.refresh(locationId))
      : null,
  };
}
