import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where test servers' ports are drawn from: below the kernel's ephemeral range, which every
 * `listen(0)` and every client socket (Postgres, Redis, HTTP) takes its local port from. A port
 * the OS handed out free from that range, released, and listened on a few seconds later by a
 * service was taken meanwhile by another spec's connection (EADDRINUSE, twice in one day's CI
 * runs). The demo specs draw their port bases from 20000 up (tools/demo/test/support).
 */
const TEST_PORTS = { from: 10_000, to: 20_000 };

/** Linux's default start of the ephemeral range, where /proc does not say. */
const DEFAULT_EPHEMERAL_FROM = 32_768;

/** A loopback port free right now, outside the range the OS hands out by itself. */
export async function freePort(): Promise<number> {
  const to = Math.min(TEST_PORTS.to, ephemeralRangeStart());
  for (;;) {
    const port = TEST_PORTS.from + Math.floor(Math.random() * (to - TEST_PORTS.from));
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function ephemeralRangeStart(): number {
  try {
    const [from] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/);

    return Number(from) || DEFAULT_EPHEMERAL_FROM;
  } catch {
    return DEFAULT_EPHEMERAL_FROM;
  }
}
