import { SetMetadata } from '@nestjs/common';

import { UserType } from './token-store.service';

export interface GhlEndpointOptions {
  /** Any one of these scopes admits the call. */
  scopes: string[];
  /** Which token types may call it; Location only unless said otherwise. */
  userTypes?: UserType[];
}

export const GHL_ENDPOINT = 'ghl-sandbox:endpoint';

/**
 * Marks a route as part of the GHL surface: `Version: 2021-07-28` required, a bearer token with
 * one of `scopes`, and the location's rate limits. Routes without it (/_sandbox, /health, the
 * OAuth consent and token endpoints) skip those checks.
 */
export const GhlEndpoint = (options: GhlEndpointOptions) => SetMetadata(GHL_ENDPOINT, options);
