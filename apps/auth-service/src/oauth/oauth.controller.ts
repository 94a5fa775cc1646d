import { Controller, Get, Inject, Logger, Query, Req, Res } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { InstallRefusedError, InstallResult, OAuthInstallService } from './oauth-install.service';
import { STATE_COOKIE, stateCookieOf, stateCookieOptions } from './oauth-state-cookie';
import { InvalidStateError } from './oauth-state.service';

const EXPLANATIONS: Record<string, string> = {
  access_denied: 'The app was not authorized in GoHighLevel. Nothing was connected.',
  missing_code: 'GoHighLevel sent no authorization code. Start the install again.',
  invalid_code: 'The authorization code was refused (expired or already used). Install again.',
  ghl_unavailable: 'GoHighLevel did not answer. Nothing was connected; try again shortly.',
  state_missing: 'This link did not come from an install we started. Start the install again.',
  state_forged: 'This link did not come from an install we started. Start the install again.',
  state_expired: 'The install took longer than ten minutes. Start the install again.',
  state_reused: 'This install link was already used. Start the install again.',
  state_unbound:
    'This install was not started in this browser, or another install was started since. ' +
    'Start the install again here.',
};

/** The GHL install flow: `/oauth/install` sends the browser to GHL, GHL sends it back here. */
@Controller('oauth')
export class OAuthController {
  private readonly logger = new Logger(OAuthController.name);
  private readonly stateCookie: CookieOptions;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthServiceConfig,
    private readonly install: OAuthInstallService,
  ) {
    this.stateCookie = stateCookieOptions(config.GHL_REDIRECT_URI);
  }

  @Get('install')
  async start(@Res() res: Response): Promise<void> {
    const { authorizeUrl, state } = await this.install.start();
    res.cookie(STATE_COOKIE, state, this.stateCookie);
    res.redirect(302, authorizeUrl);
  }

  @Get('callback')
  async callback(
    @Query() query: { code?: string; state?: string; error?: string },
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const wantsJson = req.accepts(['html', 'json']) === 'json';
    const callback = pickStrings(query);
    const boundState = stateCookieOf(req);
    this.forgetStateCookie(res, boundState, callback.state);
    try {
      const result = await this.install.complete(callback, boundState);
      if (wantsJson) {
        res.status(200).json(result);

        return;
      }
      res
        .status(200)
        .type('html')
        .send(page('Connected', connectedMessage(result)));
    } catch (error) {
      const code = refusalCode(error);
      if (!code) throw error;
      this.logger.warn({ reason: code }, 'install refused');
      const status = code === 'ghl_unavailable' ? 502 : 400;
      if (wantsJson) {
        res.status(status).json({ error: code, message: EXPLANATIONS[code] });

        return;
      }
      res.status(status).type('html').send(page('Not connected', EXPLANATIONS[code]));
    }
  }

  /** The cookie has served once its state came back; another install's cookie is left alone. */
  private forgetStateCookie(res: Response, boundState?: string, state?: string): void {
    if (boundState && boundState === state) {
      res.clearCookie(STATE_COOKIE, { ...this.stateCookie, maxAge: undefined });
    }
  }
}

function connectedMessage(result: InstallResult): string {
  if (!result.locations) return `Location ${result.locationId} is connected.`;

  return `Agency ${result.locationId} is connected with ${result.locations.length} locations.`;
}

function refusalCode(error: unknown): string | undefined {
  if (error instanceof InvalidStateError) return `state_${error.problem}`;
  if (error instanceof InstallRefusedError) return error.problem;

  return undefined;
}

/** Query values arrive as strings, arrays or objects; anything but a string counts as absent. */
function pickStrings(query: Record<string, unknown>) {
  const pick = (key: string) =>
    typeof query[key] === 'string' ? (query[key] as string) : undefined;

  return { code: pick('code'), state: pick('state'), error: pick('error') };
}

function page(title: string, message: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>${escapeHtml(message)}</p></body></html>`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
