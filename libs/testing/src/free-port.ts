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

/**
 * Each jest worker draws from a slice of its own, and a process never hands out one port twice:
 * a port is free when drawn but only taken when its service listens, seconds later, and two
 * draws of one port in that window would meet there. Slice 0 is for a process outside jest (a
 * bench, the demo), 1 to 8 for jest's workers (JEST_WORKER_ID counts from 1; a ninth shares).
 */
const SLICES = 9;

/** Draws before a slice whose every port stays busy is reported instead of tried forever. */
const MAX_DRAWS = 5_000;

/** Linux's default start of the ephemeral range, where /proc does not say. */
const DEFAULT_EPHEMERAL_FROM = 32_768;

const handedOut = new Set<number>();

/** A loopback port free right now, outside the range the OS hands out by itself. */
export async function freePort(): Promise<number> {
  const { from, to } = portSlice(process.env.JEST_WORKER_ID, ephemeralRangeStart());
  for (let attempt = 0; attempt < MAX_DRAWS; attempt += 1) {
    const port = from + Math.floor(Math.random() * (to - from));
    // A slice long used up is shared again rather than left empty.
    if (handedOut.has(port) && attempt <= 1_000) continue;

    // Taken before the check, so that draws running beside this one pass it by.
    handedOut.add(port);
    if (await canListen(port)) return port;
    handedOut.delete(port);
  }

  throw new Error(`no free loopback port in ${from}-${to - 1} after ${MAX_DRAWS} draws`);
}

/**
 * The ports a process draws from (`to` excluded): its slice of the test range below the
 * ephemeral one. Where the ephemeral range starts at or below the test range's start, no port
 * is outside it, and the whole test range is sliced.
 */
export function portSlice(
  jestWorkerId: string | undefined,
  ephemeralFrom: number,
): { from: number; to: number } {
  const isBelowTestRange = ephemeralFrom <= TEST_PORTS.from + SLICES;
  const to = isBelowTestRange ? TEST_PORTS.to : Math.min(TEST_PORTS.to, ephemeralFrom);
  const size = Math.floor((to - TEST_PORTS.from) / SLICES);
  const worker = Number(jestWorkerId);
  const isJestWorker = Number.isInteger(worker) && worker >= 1;
  const index = isJestWorker ? ((worker - 1) % (SLICES - 1)) + 1 : 0;
  const from = TEST_PORTS.from + index * size;

  return { from, to: from + size };
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
