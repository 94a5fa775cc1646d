/** The OAuth app the sandbox accepts by default (docs/sandbox.md); not a real secret. */
export const SANDBOX_CLIENT = { id: 'sandbox-app-client', secret: 'sandbox-app-secret' };

/** An access token from the sandbox's real OAuth flow: authorize redirect → code → token. */
export async function sandboxAccessToken(
  sandboxUrl: string,
  locationId: string,
  scope = 'contacts.readonly locations.readonly',
): Promise<string> {
  const redirectUri = 'http://127.0.0.1:9/oauth/callback';
  const authorize = new URL('/oauth/chooselocation', sandboxUrl);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: SANDBOX_CLIENT.id,
    redirect_uri: redirectUri,
    scope,
    locationId,
    state: 'e2e',
  }).toString();
  const consent = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') as string).searchParams.get('code');

  const response = await fetch(new URL('/oauth/token', sandboxUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: SANDBOX_CLIENT.id,
      client_secret: SANDBOX_CLIENT.secret,
      grant_type: 'authorization_code',
      code: code as string,
      redirect_uri: redirectUri,
      user_type: 'Location',
    }),
  });
  if (!response.ok) throw new Error(`sandbox token for ${locationId}: ${response.status}`);
  const body = (await response.json()) as { access_token: string };

  return body.access_token;
}
