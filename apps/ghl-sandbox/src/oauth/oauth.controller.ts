import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';

import { SandboxStore } from '../dataset/sandbox-store.service';
import { AuthenticatedRequest } from './ghl-access.guard';
import { GhlEndpoint } from './ghl-endpoint.decorator';
import { OAuthError, OAuthService, TokenRequest } from './oauth.service';
import { AccessToken } from './token-store.service';

interface ConsentQuery {
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  locationId?: string;
  deny?: string;
}

@Controller()
export class OAuthController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly store: SandboxStore,
  ) {}

  /** GHL's consent page, without a browser: approves at once and redirects with a code. */
  @Get(['oauth/chooselocation', 'v2/oauth/chooselocation'])
  chooseLocation(@Query() query: ConsentQuery, @Res() response: Response): void {
    const redirectUri = parseRedirectUri(query.redirect_uri);
    if (!this.oauth.isKnownClient(query.client_id) || !redirectUri) {
      throw new OAuthError(400, 'invalid_request', 'unknown client_id or bad redirect_uri');
    }
    if (query.deny === '1' || query.deny === 'true') {
      redirectUri.searchParams.set('error', 'access_denied');
    } else {
      const code = this.oauth.consent({
        clientId: query.client_id,
        redirectUri: query.redirect_uri,
        scope: query.scope,
        locationId: query.locationId,
      });
      redirectUri.searchParams.set('code', code);
    }
    if (query.state !== undefined) redirectUri.searchParams.set('state', query.state);
    response.redirect(302, redirectUri.toString());
  }

  @Post('oauth/token')
  @HttpCode(200)
  token(@Body() body: TokenRequest) {
    return this.oauth.token(body ?? {});
  }

  @Post('oauth/locationToken')
  @HttpCode(200)
  @GhlEndpoint({ scopes: ['oauth.write'], userTypes: ['Company'] })
  locationToken(
    @Req() request: AuthenticatedRequest,
    @Body() body: { companyId?: string; locationId?: string },
  ) {
    return this.oauth.locationToken(
      request.ghlToken as AccessToken,
      body?.companyId,
      body?.locationId,
    );
  }

  @Get('oauth/installedLocations')
  @GhlEndpoint({ scopes: ['oauth.readonly'], userTypes: ['Company'] })
  installedLocations(
    @Req() request: AuthenticatedRequest,
    @Query() query: { companyId?: string; appId?: string; skip?: string; limit?: string },
  ) {
    const token = request.ghlToken as AccessToken;
    if (!query.companyId || !query.appId) {
      throw new OAuthError(400, 'invalid_request', 'companyId and appId are required');
    }
    const skip = Math.max(0, Number(query.skip ?? 0) || 0);
    const limit = Math.max(1, Number(query.limit ?? 20) || 20);
    const isOwn = query.companyId === token.companyId && query.appId === this.oauth.appId;
    const all = isOwn ? this.store.all() : [];

    return {
      locations: all.slice(skip, skip + limit).map((data) => ({
        _id: data.id,
        name: data.location.name,
        address: data.location.address,
        isInstalled: true,
        installedAt: data.location.dateAdded,
      })),
      count: all.length,
      installToFutureLocations: false,
    };
  }
}

function parseRedirectUri(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);

    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
