import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

import { SANDBOX_CONFIG } from '../config/sandbox-config.token';
import { SandboxConfig } from '../config/sandbox.config';
import { StatsService } from '../control/stats.service';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { FaultsService } from '../faults/faults.service';
import { AccessGrant, AccessToken, TokenStore, UserType } from './token-store.service';

/** Every scope the sandbox app may be granted; the consent grants the ones asked for. */
export const SANDBOX_APP_SCOPES = [
  'contacts.readonly',
  'contacts.write',
  'locations.readonly',
  'locations/customFields.readonly',
  'locations/tags.readonly',
  'locations/tasks.readonly',
  'calendars/events.readonly',
  'oauth.readonly',
  'oauth.write',
];

/** The installing user GHL names in every token answer. */
export const SANDBOX_INSTALLER_ID = 'SMsandboxInstaller01';

/** An OAuth error answer: `{ error, error_description }`, as OAuth servers send. */
export class OAuthError extends HttpException {
  constructor(status: number, error: string, description: string) {
    super({ error, error_description: description }, status);
  }
}

export interface ConsentRequest {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  locationId?: string;
}

export interface TokenRequest {
  client_id?: string;
  client_secret?: string;
  grant_type?: string;
  code?: string;
  refresh_token?: string;
  user_type?: string;
  redirect_uri?: string;
}

@Injectable()
export class OAuthService {
  private readonly logger = new Logger(OAuthService.name);

  constructor(
    @Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig,
    private readonly tokens: TokenStore,
    private readonly store: SandboxStore,
    private readonly faults: FaultsService,
    private readonly stats: StatsService,
  ) {}

  get appId(): string {
    return this.config.SANDBOX_CLIENT_ID.split('-')[0];
  }

  /** The headless consent: the user "chooses" a location and approves every asked scope. */
  consent(request: ConsentRequest): string {
    const locationId = request.locationId ?? this.store.all()[0]?.id;
    if (!locationId || !this.store.location(locationId)) {
      throw new OAuthError(400, 'invalid_request', 'unknown locationId');
    }
    const asked = (request.scope ?? SANDBOX_APP_SCOPES.join(' ')).split(/[ +]/).filter(Boolean);

    return this.tokens.issueCode({
      clientId: request.clientId as string,
      redirectUri: request.redirectUri as string,
      userType: 'Location',
      companyId: this.config.SANDBOX_COMPANY_ID,
      locationId,
      userId: SANDBOX_INSTALLER_ID,
      scopes: asked.filter((scope) => SANDBOX_APP_SCOPES.includes(scope)),
    });
  }

  isKnownClient(clientId: string | undefined): boolean {
    return clientId === this.config.SANDBOX_CLIENT_ID;
  }

  token(body: TokenRequest) {
    const isClient =
      body.client_id === this.config.SANDBOX_CLIENT_ID &&
      body.client_secret === this.config.SANDBOX_CLIENT_SECRET;
    if (!isClient) throw new OAuthError(401, 'invalid_client', 'client_id or secret is wrong');

    if (body.grant_type === 'authorization_code') return this.exchangeCode(body);
    if (body.grant_type === 'refresh_token') return this.refresh(body);
    throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${body.grant_type} is not ok`);
  }

  /** POST /oauth/locationToken: a Location token minted from an agency (Company) token. */
  locationToken(agency: AccessToken, companyId?: string, locationId?: string) {
    if (!companyId || !locationId) {
      throw new HttpException(
        { statusCode: 400, message: 'companyId and locationId are required' },
        400,
      );
    }
    const isOwnLocation = companyId === agency.companyId && this.store.location(locationId);
    if (!isOwnLocation) {
      throw new HttpException(
        { statusCode: 400, message: 'Location not found or not part of this company' },
        400,
      );
    }
    const grant: AccessGrant = { ...agency, userType: 'Location', locationId };
    const answer = this.answer(grant);

    return { ...answer, appId: this.appId, versionId: `${this.appId}-v1` };
  }

  private exchangeCode(body: TokenRequest) {
    const code = body.code ? this.tokens.redeemCode(body.code) : undefined;
    const isValid =
      code && code.clientId === body.client_id && code.redirectUri === body.redirect_uri;
    if (!code || !isValid) {
      throw new OAuthError(400, 'invalid_grant', 'the code is invalid, used or expired');
    }
    this.stats.recordOAuth('codeExchanges');
    const userType: UserType = body.user_type === 'Company' ? 'Company' : 'Location';
    const grant: AccessGrant = {
      userType,
      companyId: code.companyId,
      locationId: userType === 'Location' ? code.locationId : undefined,
      userId: code.userId,
      scopes: code.scopes,
    };
    this.logger.log({ locationId: grant.locationId, userType }, 'code exchanged');

    return this.answer(grant);
  }

  private refresh(body: TokenRequest) {
    const grant = body.refresh_token
      ? this.tokens.redeemRefreshToken(body.refresh_token)
      : undefined;
    if (!grant) {
      this.stats.recordOAuth('refreshRejected');
      throw new OAuthError(400, 'invalid_grant', 'Invalid refresh token');
    }
    this.stats.recordOAuth('refreshes');
    this.logger.log({ locationId: grant.locationId }, 'token refreshed');

    return this.answer(grant);
  }

  private answer(grant: AccessGrant) {
    const ttl = this.faults.settings.accessTokenTtlSeconds;
    const isCompany = grant.userType === 'Company';

    return {
      access_token: this.tokens.issueAccessToken(grant, ttl),
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: this.tokens.issueRefreshToken(grant),
      scope: grant.scopes.join(' '),
      userType: grant.userType,
      ...(grant.locationId ? { locationId: grant.locationId } : {}),
      companyId: grant.companyId,
      ...(isCompany ? { approvedLocations: this.store.all().map((data) => data.id) } : {}),
      userId: grant.userId,
      isBulkInstallation: false,
      ...(isCompany ? { installToFutureLocations: false, approveAllLocations: true } : {}),
      traceId: randomUUID(),
    };
  }
}
