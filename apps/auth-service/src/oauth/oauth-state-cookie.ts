import type { CookieOptions, Request } from 'express';

import { STATE_LIFETIME_MS } from './oauth-state.service';

/**
 * The browser half of the OAuth `state`: `/oauth/install` sets it to the state it put in GHL's
 * consent URL, and the callback accepts a state only from the browser holding that cookie. So a
 * callback link carrying somebody else's code and state (an attacker's own install, sent to a
 * victim to complete in the victim's session) is refused.
 *
 * HttpOnly (no script reads it), SameSite=Lax (sent on GHL's top-level redirect back to us, not
 * on cross-site sub-requests), scoped to the callback's path, and as short-lived as the state.
 * Secure whenever the callback is served over https.
 */
export const STATE_COOKIE = 'ghl_oauth_state';

export function stateCookieOptions(redirectUri: string): CookieOptions {
  const callback = new URL(redirectUri);

  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: callback.protocol === 'https:',
    path: callback.pathname,
    maxAge: STATE_LIFETIME_MS,
  };
}

/** The state cookie the request carries, if any (Express parses no cookies by itself). */
export function stateCookieOf(request: Request): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const pair of header.split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === STATE_COOKIE) return decodedOrAbsent(value.join('='));
  }

  return undefined;
}

function decodedOrAbsent(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
