import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { GhlOAuthClient } from '../oauth-client';
import { GhlOAuthError } from '../oauth-client.contract';
import { GhlTransport } from './ghl-transport';

/** Some gateways and .NET/Windows stacks open a UTF-8 body with EF BB BF. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('GhlTransport on an answer opening with a UTF-8 byte order mark', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const isTokenGrant = request.url === '/oauth/token';
      const body = isTokenGrant
        ? '{"error":"invalid_grant","error_description":"Invalid refresh token"}'
        : '{"message":["email is invalid"]}';
      response.writeHead(isTokenGrant ? 400 : 422, { 'content-type': 'application/json' });
      response.end(Buffer.concat([BOM, Buffer.from(body)]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('parses the JSON after the mark, as request() and body.text() did', async () => {
    const transport = new GhlTransport({
      baseUrl,
      connections: 1,
      keepAliveTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
      headersTimeoutMs: 1_000,
      bodyTimeoutMs: 1_000,
      userAgent: 'transport-spec',
    });

    const response = await transport.send({ method: 'GET', path: '/contacts/c1', versioned: true });
    await transport.close();

    expect(response.body).toEqual({ message: ['email is invalid'] });
  });

  it('reads a refused refresh as invalid_grant, so a reinstall is asked for', async () => {
    const oauth = new GhlOAuthClient({ clientId: 'id', clientSecret: 'secret', baseUrl });

    const error = await oauth.refresh({ refreshToken: 'dead' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GhlOAuthError);
    expect((error as GhlOAuthError).isInvalidGrant).toBe(true);
  });
});
