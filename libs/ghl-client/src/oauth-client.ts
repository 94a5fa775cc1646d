import { GHL_CLIENT_DEFAULTS } from './ghl-client.options';
import type { GhlQueryOf, GhlResponseOf } from './ghl-operations';
import type { GhlLocationTokenResponse, GhlTokenResponse } from './ghl-types';
import { GHL_PRODUCTION_BASE_URL } from './ghl-types';
import { ghlMessageOf, type GhlResponse, isRecord } from './http/ghl-response';
import { GhlTransport, type TransportRequest } from './http/ghl-transport';
import { GhlOAuthError, type OAuthApi } from './oauth-client.contract';

export interface GhlOAuthClientOptions {
  /** The Marketplace app's client id and secret. */
  clientId: string;
  clientSecret: string;
  /** Default `GHL_PRODUCTION_BASE_URL`. */
  baseUrl?: string;
  /** Time to open a connection, in ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Time to GHL's response headers, in ms. Default 30,000. */
  headersTimeoutMs?: number;
  /** Longest silence while the body arrives, in ms. Default 30,000. */
  bodyTimeoutMs?: number;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * GHL's OAuth token calls. None of them is retried here: a code and a refresh token are
 * single-use, so only the caller (which stores the result) may decide to try again. A failure
 * with no answer has status 0 and `isTransient`.
 */
export class GhlOAuthClient implements OAuthApi {
  private readonly transport: GhlTransport;

  constructor(private readonly options: GhlOAuthClientOptions) {
    this.transport = new GhlTransport({
      baseUrl: options.baseUrl ?? GHL_PRODUCTION_BASE_URL,
      connections: 4,
      keepAliveTimeoutMs: GHL_CLIENT_DEFAULTS.keepAliveTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? GHL_CLIENT_DEFAULTS.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs ?? GHL_CLIENT_DEFAULTS.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs ?? GHL_CLIENT_DEFAULTS.bodyTimeoutMs,
      userAgent: GHL_CLIENT_DEFAULTS.userAgent,
    });
  }

  exchangeCode(input: {
    code: string;
    redirectUri: string;
    userType?: 'Location' | 'Company';
  }): Promise<GhlTokenResponse> {
    return this.tokenGrant({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      user_type: input.userType,
    });
  }

  refresh(input: {
    refreshToken: string;
    userType?: 'Location' | 'Company';
  }): Promise<GhlTokenResponse> {
    return this.tokenGrant({
      grant_type: 'refresh_token',
      refresh_token: input.refreshToken,
      user_type: input.userType,
    });
  }

  mintLocationToken(input: {
    companyAccessToken: string;
    companyId: string;
    locationId: string;
  }): Promise<GhlLocationTokenResponse> {
    return this.send({
      method: 'POST',
      path: '/oauth/locationToken',
      body: form({ companyId: input.companyId, locationId: input.locationId }),
      contentType: FORM,
      bearerToken: input.companyAccessToken,
      versioned: true,
    });
  }

  /** GET /oauth/installedLocations with an agency token: where the app is installed. */
  listInstalledLocations(
    companyAccessToken: string,
    query: GhlQueryOf<'get-installed-location'>,
  ): Promise<GhlResponseOf<'get-installed-location'>> {
    return this.send({
      method: 'GET',
      path: '/oauth/installedLocations',
      query: { ...query },
      bearerToken: companyAccessToken,
      versioned: true,
    });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** POST /oauth/token: the v2 spec defines no Version header and a form body. */
  private tokenGrant(fields: Record<string, string | undefined>): Promise<GhlTokenResponse> {
    const { clientId, clientSecret } = this.options;

    return this.send({
      method: 'POST',
      path: '/oauth/token',
      body: form({ client_id: clientId, client_secret: clientSecret, ...fields }),
      contentType: FORM,
      versioned: false,
    });
  }

  private async send<T>(request: TransportRequest): Promise<T> {
    let response: GhlResponse;
    try {
      response = await this.transport.send(request);
    } catch (error) {
      const description = error instanceof Error ? error.message : String(error);
      throw new GhlOAuthError(0, undefined, description);
    }
    if (response.status >= 200 && response.status < 300) return response.body as T;

    throw oauthErrorOf(response);
  }
}

function form(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) params.append(name, value);
  }

  return params.toString();
}

/** Reads both OAuth's `{error, error_description}` and GHL's `{statusCode, message, error}`. */
function oauthErrorOf(response: GhlResponse): GhlOAuthError {
  const body = isRecord(response.body) ? response.body : {};
  const error = typeof body.error === 'string' ? body.error : undefined;
  const description =
    typeof body.error_description === 'string'
      ? body.error_description
      : [ghlMessageOf(response.body, response.status)].flat().join('; ');

  return new GhlOAuthError(response.status, error, description);
}
