/**
 * Connects a location through the real OAuth flow, without a browser: the auth service's
 * install redirect, the (sandbox's) consent page redirect, and the callback. The install binds
 * its state to the browser with a cookie; the callback carries it back, as a browser would.
 */
export async function connectLocation(
  authUrl: string,
): Promise<{ locationId: string; scopes: string[] }> {
  const install = await redirect(`${authUrl}/oauth/install`);
  const consent = await redirect(install.target);

  const response = await fetch(consent.target, {
    headers: { accept: 'application/json', cookie: install.cookies },
  });
  const body = (await response.json()) as {
    connected?: boolean;
    locationId: string;
    scopes: string[];
  };
  if (!response.ok || !body.connected) {
    throw new Error(`OAuth callback failed: ${response.status} ${JSON.stringify(body)}`);
  }

  return { locationId: body.locationId, scopes: body.scopes };
}

/** Where `url` redirects to, and the cookies it set (as a `Cookie` header's value). */
async function redirect(url: string): Promise<{ target: string; cookies: string }> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || !location) {
    throw new Error(`expected a redirect from ${new URL(url).pathname}, got ${response.status}`);
  }
  const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]);

  return { target: new URL(location, url).toString(), cookies: cookies.join('; ') };
}
