import { sandboxAccessToken, ServiceProcess } from '@sm/testing';

import { Listening, startSandbox, startTokenEndpoint } from '../sandbox-harness';
import { SandboxControls } from './sandbox-controls';

/** Every scope the sync engine reads with: contacts, location, the task search, custom fields. */
export const FULL_SCOPES =
  'contacts.readonly locations.readonly locations/tasks.readonly locations/customFields.readonly';

export interface GhlStandInSetup {
  /** The sandbox's locations and how many contacts each is seeded with. */
  locations: Record<string, number>;
  /** The bearer the token endpoint asks the worker for. */
  serviceToken: string;
  /** Scopes of the tokens handed out (the sandbox's OAuth default when not given). */
  scopes?: string;
  /** Locations the token endpoint answers 409 for: re-auth needed. Changes are seen live. */
  reauthRequired?: Set<string>;
  /** Locations handed a token GHL refuses (401). Changes are seen live. */
  refusedToken?: Set<string>;
}

/**
 * What stands in for GHL and the auth service around an in-process or child-process worker: the
 * sandbox as a real process, and the auth service's token endpoint handing out sandbox tokens
 * (one OAuth flow per location, on its first request).
 */
export interface GhlStandIn {
  sandbox: SandboxControls;
  tokens: Listening & { requests: (locationId: string) => number };
  /** The token the endpoint hands out for the location: a spec's own calls to the sandbox. */
  token(locationId: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startGhlStandIn(setup: GhlStandInSetup): Promise<GhlStandIn> {
  const sandbox: { url: string; process: ServiceProcess } = await startSandbox(setup.locations);
  const tokenOf = new Map<string, Promise<string>>();
  const token = (locationId: string) => {
    if (!tokenOf.has(locationId)) {
      tokenOf.set(locationId, sandboxAccessToken(sandbox.url, locationId, setup.scopes));
    }

    return tokenOf.get(locationId) as Promise<string>;
  };
  const tokens = await startTokenEndpoint({
    serviceToken: setup.serviceToken,
    token,
    reauthRequired: setup.reauthRequired,
    refusedToken: setup.refusedToken,
  }).catch(async (error: unknown) => {
    await sandbox.process.stop();
    throw error;
  });

  return {
    sandbox: new SandboxControls(sandbox.url),
    tokens,
    token,
    stop: async () => {
      await tokens.close();
      await sandbox.process.stop();
    },
  };
}
