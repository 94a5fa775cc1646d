import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { AuthServiceTokenProvider } from './auth-service-token.provider';
import { LocationUnavailableError } from './location-unavailable.error';

const SERVICE_TOKEN = 'spec-service-token-0123456789abcdef';

describe('AuthServiceTokenProvider', () => {
  let server: Server;
  let provider: AuthServiceTokenProvider;
  /** What the stand-in token endpoint answers next: a 409 with this `error`. */
  let refusal = '';

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(409, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: refusal }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    provider = new AuthServiceTokenProvider({
      authServiceUrl: `http://127.0.0.1:${port}`,
      serviceToken: SERVICE_TOKEN,
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ['paused', 'paused'],
    ['reauth_required', 'reauth_required'],
    ['token_unreadable', 'token_unreadable'],
    ['a_reason_added_later', 'reauth_required'],
  ])('makes a 409 %s a location that waits as %s', async (error, reason) => {
    refusal = error;

    const asked = provider.getAccessToken('SMproviderLocation01');

    await expect(asked).rejects.toBeInstanceOf(LocationUnavailableError);
    await expect(asked).rejects.toMatchObject({ locationId: 'SMproviderLocation01', reason });
  });
});
