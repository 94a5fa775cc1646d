import { freePort, type ServiceProcess, startServiceProcess } from '@sm/testing';

import type { AccessTokenProvider } from '../../src';
import { GhlOAuthClient } from '../../src';

export const SANDBOX_CLIENT = {
  clientId: 'sandbox-app-client',
  clientSecret: 'sandbox-app-secret',
};
const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';

export interface Sandbox {
  baseUrl: string;
  process: ServiceProcess;
  faults(knobs: Record<string, unknown>): Promise<void>;
  resetFaults(): Promise<void>;
  stats(): Promise<SandboxStats>;
  exportContactIds(locationId: string): Promise<string[]>;
  /** Installs the app on the location (consent + code exchange) and serves its tokens. */
  install(locationId: string): Promise<SandboxTokens>;
  stop(): Promise<void>;
}

export interface SandboxStats {
  requests: { total: number; byStatus: Record<string, number>; byLocation: Record<string, number> };
  oauth: { codeExchanges: number; refreshes: number; refreshRejected: number };
}

/** A location's tokens, refreshed through GHL's rotating refresh grant when forced. */
export interface SandboxTokens extends AccessTokenProvider {
  readonly asked: Array<{ forceRefresh?: boolean }>;
}

export async function startSandbox(locations: string): Promise<Sandbox> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const process = await startServiceProcess({
    entry: 'apps/ghl-sandbox/src/main.ts',
    env: { PORT: String(port), SANDBOX_LOCATIONS: locations, LOG_LEVEL: 'warn' },
    readyUrl: `${baseUrl}/health/live`,
  });
  const oauth = new GhlOAuthClient({ ...SANDBOX_CLIENT, baseUrl });
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status}`);

    return response.json() as Promise<unknown>;
  };

  return {
    baseUrl,
    process,
    faults: async (knobs) => void (await control('POST', '/faults', knobs)),
    resetFaults: async () => void (await control('DELETE', '/faults')),
    stats: () => control('GET', '/stats') as Promise<SandboxStats>,
    exportContactIds: async (locationId) => {
      const data = (await control('GET', `/export/${locationId}`)) as {
        contacts: Array<{ id: string }>;
      };

      return data.contacts.map((contact) => contact.id);
    },
    install: (locationId) => install(baseUrl, oauth, locationId),
    stop: async () => {
      await oauth.close();
      await process.stop();
    },
  };
}

async function install(
  baseUrl: string,
  oauth: GhlOAuthClient,
  locationId: string,
): Promise<SandboxTokens> {
  const consent = new URL('/oauth/chooselocation', baseUrl);
  consent.search = new URLSearchParams({
    client_id: SANDBOX_CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'contacts.readonly contacts.write locations.readonly',
    locationId,
  }).toString();
  const redirect = await fetch(consent, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
  let pair = await oauth.exchangeCode({ code, redirectUri: REDIRECT_URI });
  const asked: Array<{ forceRefresh?: boolean }> = [];

  return {
    asked,
    getAccessToken: async (_locationId, options = {}) => {
      asked.push(options);
      if (options.forceRefresh)
        pair = await oauth.refresh({ refreshToken: pair.refresh_token ?? '' });

      return pair.access_token ?? '';
    },
  };
}
