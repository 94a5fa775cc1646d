import { createServer } from 'node:net';

import { ephemeralRangeStart, freePort } from './free-port';

describe('freePort', () => {
  it('draws free loopback ports below the range the OS hands out by itself', async () => {
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));

    expect(ports.filter((port) => port < 10_000 || port >= ephemeralRangeStart())).toEqual([]);
    expect(new Set(ports).size).toBe(ports.length);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
