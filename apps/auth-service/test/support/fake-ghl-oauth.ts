import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SANDBOX_APP } from './ghl-sandbox';

/**
 * A loopback stand-in for GHL's token endpoint, kept for the one answer the sandbox
 * (apps/ghl-sandbox, used by every other test) cannot give: a refresh refused with GHL's
 * 400 "Location is not active" for a deactivated sub-account. It has rotating single-use refresh
 * tokens like GHL and counts what it was asked.
 */
export class FakeGhlOAuth {
  readonly clientId = SANDBOX_APP.clientId;
  readonly clientSecret = SANDBOX_APP.clientSecret;
  locationId = 'LocFake0000000000001';
  companyId = 'CmpFake0000000000001';
  accessTokenTtlSeconds = 86_399;
  /** Delay before answering a refresh, to widen races on purpose (ms). */
  refreshLatencyMs = 0;
  /** When set, refreshes answer GHL's 400 "Location is not active". */
  locationInactive = false;
  /** Issue Company tokens at the next code exchange. */
  grantCompany = false;
  readonly stats = { codeExchanges: 0, refreshes: 0, refreshRejected: 0, locationTokens: 0 };
  /** Every code and token ever issued: tests look for them where they must not be. */
  readonly issuedTokens: string[] = [];
  private readonly codes = new Map<string, string>();
  private readonly liveRefreshTokens = new Map<string, string>();
  private server?: Server;

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

    return this.baseUrl;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Kills every live refresh token, as GHL does when an app is reinstalled elsewhere. */
  revokeAll(): void {
    this.liveRefreshTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const body = new URLSearchParams(await readBody(req));
    if (req.method === 'GET' && url.pathname.endsWith('/oauth/chooselocation')) {
      return this.consent(url, res);
    }
    if (req.method === 'POST' && url.pathname === '/oauth/token') return this.token(body, res);
    if (req.method === 'POST' && url.pathname === '/oauth/locationToken') {
      return this.locationToken(req, body, res);
    }
    send(res, 404, { message: 'Not found' });
  }

  private consent(url: URL, res: ServerResponse): void {
    const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
    const state = url.searchParams.get('state') ?? '';
    if (url.searchParams.get('deny') === '1') {
      redirect.searchParams.set('error', 'access_denied');
    } else {
      const code = this.token20();
      this.issuedTokens.push(code);
      this.codes.set(code, url.searchParams.get('scope') ?? '');
      redirect.searchParams.set('code', code);
    }
    redirect.searchParams.set('state', state);
    res.writeHead(302, { location: redirect.toString() }).end();
  }

  private async token(body: URLSearchParams, res: ServerResponse): Promise<void> {
    const isOurApp =
      body.get('client_id') === this.clientId && body.get('client_secret') === this.clientSecret;
    if (!isOurApp) return send(res, 401, { error: 'invalid_client' });

    if (body.get('grant_type') === 'authorization_code') {
      const scope = this.codes.get(body.get('code') ?? '');
      if (scope === undefined) return send(res, 400, { error: 'invalid_grant' });
      this.codes.delete(body.get('code') ?? '');
      this.stats.codeExchanges += 1;

      return send(res, 200, this.issue(scope, this.grantCompany ? 'Company' : 'Location'));
    }
    if (body.get('grant_type') === 'refresh_token') {
      this.stats.refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, this.refreshLatencyMs));
      if (this.locationInactive) {
        return send(res, 400, { statusCode: 400, message: 'Location is not active' });
      }
      const scope = this.liveRefreshTokens.get(body.get('refresh_token') ?? '');
      if (scope === undefined) {
        this.stats.refreshRejected += 1;

        return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid grant' });
      }
      this.liveRefreshTokens.delete(body.get('refresh_token') ?? '');

      return send(res, 200, this.issue(scope, body.get('user_type') ?? 'Location'));
    }
    send(res, 400, { error: 'unsupported_grant_type' });
  }

  private locationToken(req: IncomingMessage, body: URLSearchParams, res: ServerResponse): void {
    const bearer = (req.headers.authorization ?? '').replace('Bearer ', '');
    if (!this.issuedTokens.includes(bearer)) return send(res, 401, { message: 'Invalid JWT' });
    this.stats.locationTokens += 1;
    const accessToken = this.token20('at-min');
    send(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTokenTtlSeconds,
      scope: 'contacts.readonly locations.readonly',
      locationId: body.get('locationId'),
      userId: 'UsrFake0000000000001',
    });
  }

  private issue(scope: string, userType: string) {
    const accessToken = this.token20('at');
    const refreshToken = this.token20('rt');
    this.liveRefreshTokens.set(refreshToken, scope);
    this.issuedTokens.push(accessToken, refreshToken);
    const isCompany = userType === 'Company';

    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      scope,
      userType,
      ...(isCompany ? {} : { locationId: this.locationId }),
      companyId: this.companyId,
      userId: 'UsrFake0000000000001',
    };
  }

  private token20(prefix = 'code'): string {
    return `${prefix}-${randomBytes(15).toString('base64url')}`;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
