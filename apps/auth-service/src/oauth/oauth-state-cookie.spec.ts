import type { Request } from 'express';

import { stateCookieOf, stateCookieOptions } from './oauth-state-cookie';

const withCookie = (cookie?: string) => ({ headers: { cookie } }) as unknown as Request;

describe('the OAuth state cookie', () => {
  it('is Secure behind an https callback, scoped to its path, as long-lived as a state', () => {
    const options = stateCookieOptions('https://sync.example.com/ghl/oauth/callback');

    expect(options).toEqual({
      httpOnly: true,
      sameSite: 'lax',
      secure: true,
      path: '/ghl/oauth/callback',
      maxAge: 600_000,
    });
  });

  it('is read among other cookies; a malformed or missing one counts as absent', () => {
    expect(stateCookieOf(withCookie('a=1; ghl_oauth_state=n.1.s; b=2'))).toBe('n.1.s');
    expect(stateCookieOf(withCookie('ghl_oauth_state=%E0%A4%A'))).toBeUndefined();
    expect(stateCookieOf(withCookie('other_ghl_oauth_state=n.1.s'))).toBeUndefined();
    expect(stateCookieOf(withCookie())).toBeUndefined();
  });
});
