import { createServer } from 'node:net';

import { ephemeralRangeStart, freePort, portSlice } from './free-port';

describe('freePort', () => {
  it('draws free loopback ports below the range the OS hands out by itself', async () => {
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));

    expect(ports.filter((port) => port < 10_000 || port >= ephemeralRangeStart())).toEqual([]);
    expect(new Set(ports).size).toBe(ports.length);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives a process outside jest and each of eight jest workers a slice of their own', () => {
    const owners = [undefined, '1', '2', '3', '4', '5', '6', '7', '8'];

    const slices = owners.map((owner) => portSlice(owner, 32_768));

    const starts = slices.map((slice) => slice.from);
    expect(new Set(starts).size).toBe(owners.length);
    for (const { from, to } of slices) {
      expect(from).toBeGreaterThanOrEqual(10_000);
      expect(to).toBeLessThanOrEqual(20_000);
      expect(to - from).toBeGreaterThan(1_000);
    }
    expect(portSlice('9', 32_768)).toEqual(portSlice('1', 32_768));
  });

  it('keeps its slices below an ephemeral range that starts inside the test range', () => {
    const slices = ['1', '8', undefined].map((owner) => portSlice(owner, 15_000));

    expect(slices.every(({ from, to }) => from >= 10_000 && to <= 15_000 && to > from)).toBe(true);
  });

  it('still has ports to draw where the ephemeral range starts below the test range', () => {
    const { from, to } = portSlice('3', 1_024);

    expect(to - from).toBeGreaterThan(1_000);
  });
});
