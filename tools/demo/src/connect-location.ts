/**
 * Connects a location through the real OAuth flow, without a browser: the auth service's
 * install redirect, the (sandbox's) consent page redirect, and the callback.
 */
export async function connectLocation(
  authUrl: string,
): Promise<{ locationId: string; scopes: string[] }> {
  const consentUrl = await redirectTarget(`${authUrl}/oauth/install`);
  const callbackUrl = await redirectTarget(consentUrl);

  const response = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
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

async function redirectTarget(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || !location) {
    throw new Error(`expected a redirect from ${new URL(url).pathname}, got ${response.status}`);
  }

  return new URL(location, url).toString();
}
