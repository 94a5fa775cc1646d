import { Inject, Injectable, Logger } from '@nestjs/common';

import { GhlOAuthError, GhlTokenResponse, OAuthApi } from '@sm/ghl-client';

import { AgencyInstallService } from '../connections/agency-install.service';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { RefreshScheduler } from '../tokens/refresh-scheduler.service';
import { GrantedConnection, TokenStore } from '../tokens/token-store.service';
import { OAUTH_API } from './oauth-api.provider';
import { OAuthStateService } from './oauth-state.service';

/** What the callback reports: ids and scopes, never a token. */
export interface InstallResult {
  connected: true;
  locationId: string;
  companyId: string | null;
  userType: 'Location' | 'Company';
  scopes: string[];
  /** An agency install: the locations that got a location token now (new or already there). */
  locations?: string[];
}

export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
}

/** Why a callback was refused, as a stable error code. */
export type InstallProblem = 'access_denied' | 'missing_code' | 'invalid_code' | 'ghl_unavailable';

export class InstallRefusedError extends Error {
  constructor(readonly problem: InstallProblem) {
    super(`OAuth install refused: ${problem}`);
    this.name = 'InstallRefusedError';
  }
}

/**
 * Base scopes, all read-only: contacts and their children; the location's timezone (when its
 * nightly sync runs); its custom-field definitions (values stored by key); and the location-wide
 * task search (GHL announces no task edit by webhook, so a sweep catches them, and a full sync
 * reads every task in a few calls instead of one per contact).
 */
export const READ_SCOPES = [
  'contacts.readonly',
  'locations.readonly',
  'locations/customFields.readonly',
  'locations/tasks.readonly',
];
const WRITE_SCOPES = ['contacts.write'];
/** An agency app lists its installed locations and mints their tokens. */
const AGENCY_SCOPES = ['oauth.readonly', 'oauth.write'];

/** The install flow: the consent redirect, then the callback's code exchange and storage. */
@Injectable()
export class OAuthInstallService {
  private readonly logger = new Logger(OAuthInstallService.name);

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServiceConfig,
    @Inject(OAUTH_API) private readonly oauth: OAuthApi,
    private readonly states: OAuthStateService,
    private readonly store: TokenStore,
    private readonly scheduler: RefreshScheduler,
    private readonly agency: AgencyInstallService,
  ) {}

  requestedScopes(): string[] {
    const isAgencyApp = this.config.GHL_INSTALL_USER_TYPE === 'Company';

    return [
      ...READ_SCOPES,
      ...(this.config.GHL_WRITE_FEATURES ? WRITE_SCOPES : []),
      ...(isAgencyApp ? AGENCY_SCOPES : []),
    ];
  }

  /** GHL's consent URL and the state in it, which the browser also keeps as a cookie. */
  async start(): Promise<{ authorizeUrl: string; state: string }> {
    const state = await this.states.issue();
    const url = new URL(this.config.GHL_AUTHORIZE_URL);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.GHL_CLIENT_ID);
    url.searchParams.set('redirect_uri', this.config.GHL_REDIRECT_URI);
    url.searchParams.set('scope', this.requestedScopes().join(' '));
    url.searchParams.set('state', state);

    return { authorizeUrl: url.toString(), state };
  }

  /**
   * The state is checked (and spent) first: nothing else runs for a request we did not start,
   * or that another browser started. `boundState`: the state the browser's cookie holds.
   */
  async complete(query: CallbackQuery, boundState: string | undefined) {
    await this.states.consume(query.state, boundState);
    if (query.error) throw new InstallRefusedError('access_denied');
    if (!query.code) throw new InstallRefusedError('missing_code');

    const response = await this.exchange(query.code);
    const granted = grantedFrom(response);
    const stored = await this.store.saveGrant(granted, {
      accessToken: response.access_token ?? '',
      refreshToken: response.refresh_token ?? null,
      expiresAt: new Date(Date.now() + (response.expires_in ?? 86_399) * 1_000),
    });
    this.logger.log({ locationId: granted.locationId, kind: granted.credentialKind }, 'installed');

    await this.scheduler.scheduleRefresh(granted.locationId, stored.generation, stored.expiresAt);
    if (granted.credentialKind === 'oauth') {
      await this.scheduler.enqueueFirstSync(granted.locationId);
    }
    const isCompany = granted.credentialKind === 'company';
    const locations = isCompany ? await this.connectAgencyLocations(granted, response) : undefined;

    return {
      connected: true,
      locationId: granted.locationId,
      companyId: granted.companyId,
      userType: isCompany ? 'Company' : 'Location',
      scopes: granted.scopes,
      ...(locations ? { locations } : {}),
    } satisfies InstallResult;
  }

  /**
   * A bulk install names its locations in `approvedLocations`; otherwise the installed ones are
   * listed. TODO: the locations are minted during the callback, four at a time; an agency with
   * thousands of locations would make the browser wait minutes. Safe for now: each location is
   * stored as soon as it is minted and the agency's INSTALL events mint any the callback missed.
   */
  private async connectAgencyLocations(granted: GrantedConnection, response: GhlTokenResponse) {
    const approved = (response.approvedLocations ?? []).filter(Boolean);
    const outcome = await this.agency.connectLocations(granted.locationId, approved);

    return [...outcome.connected, ...outcome.alreadyConnected];
  }

  private async exchange(code: string): Promise<GhlTokenResponse> {
    try {
      const response = await this.oauth.exchangeCode({
        code,
        redirectUri: this.config.GHL_REDIRECT_URI,
        userType: this.config.GHL_INSTALL_USER_TYPE,
      });
      if (!response.access_token || !(response.locationId || response.companyId)) {
        throw new GhlOAuthError(502, undefined, 'token response without token or owner');
      }

      return response;
    } catch (error) {
      if (!(error instanceof GhlOAuthError)) throw error;
      this.logger.warn({ status: error.status, err: error.error }, 'code exchange refused');
      throw new InstallRefusedError(error.isTransient ? 'ghl_unavailable' : 'invalid_code');
    }
  }
}

/** A Company (agency) grant is stored under its company id; its locations are minted later. */
function grantedFrom(response: GhlTokenResponse): GrantedConnection {
  const isCompany = response.userType === 'Company' || !response.locationId;
  const ownerId = (isCompany ? response.companyId : response.locationId) as string;

  return {
    locationId: ownerId,
    companyId: response.companyId ?? null,
    scopes: (response.scope ?? '').split(' ').filter(Boolean),
    credentialKind: isCompany ? 'company' : 'oauth',
    installedByUserId: response.userId ?? null,
  };
}
