import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';

import { GhlOAuthClient, OAuthApi } from '@sm/ghl-client';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';

/** The Nest token of the GHL OAuth client (`AgencyOAuthApi`); tests may provide their own. */
export const OAUTH_API = Symbol('OAUTH_API');

/** The token calls, plus the agency's listing of the locations our app is installed on. */
export type AgencyOAuthApi = OAuthApi & Pick<GhlOAuthClient, 'listInstalledLocations'>;

/** Closes the client's keep-alive pool when the service stops. */
@Injectable()
export class OAuthClientCloser implements OnApplicationShutdown {
  constructor(@Inject(OAUTH_API) private readonly client: OAuthApi) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.client instanceof GhlOAuthClient) await this.client.close();
  }
}

export const oauthApiProviders: Provider[] = [
  {
    provide: OAUTH_API,
    inject: [AUTH_CONFIG],
    useFactory: (config: AuthServiceConfig): AgencyOAuthApi =>
      new GhlOAuthClient({
        baseUrl: config.GHL_API_BASE_URL,
        clientId: config.GHL_CLIENT_ID,
        clientSecret: config.GHL_CLIENT_SECRET,
      }),
  },
  OAuthClientCloser,
];
