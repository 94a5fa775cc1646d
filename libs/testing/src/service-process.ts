import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

import { INSTANCE_ID_ENV, INSTANCE_ID_HEADER } from '@sm/platform';

/** An entry point that is JavaScript already, run by node without the TypeScript runner. */
const BUILT_ENTRY = /\.[cm]?js$/i;

/** How much of a process's output is kept for assertions (the most recent part). */
const OUTPUT_LIMIT = 4_000_000;

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

/** Whether something already listens on `host:port` (our bind is refused). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(true) : reject(error),
    );
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote, for assertions about what reaches a log. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts one of the workspace's entry points as a real child process and waits until
 * `readyUrl` answers 2xx from that child. On a shared machine another server may hold the port:
 * a busy port fails at once with a message naming it, and a 2xx counts only when it carries the
 * id the child was given (the platform echoes it in test mode), so a server that took the port
 * in the meantime is never mistaken for the child.
 */
export async function startServiceProcess(options: {
  /**
   * A TypeScript entry of the workspace, compiled as it loads (tools/run-ts.cjs), or built
   * JavaScript (`.js`, `.cjs`, `.mjs`: tools/build/build-project.mjs's output, what the Dockerfile
   * ships), run by node itself. Relative to the workspace's root.
   */
  entry: string;
  env: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
  /** Also append everything the process writes to this file. */
  logFile?: string;
  /** Options for node itself, before the entry (V8's flags, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /**
   * Called right after the spawn, before the wait for `readyUrl`: for a caller that must know
   * the process even if it, or the caller, dies while it starts. `child.pid` is undefined when
   * the spawn itself failed. Should it throw, the child is killed and the start fails with it.
   */
  onSpawn?: (child: ChildProcess) => void;
}): Promise<ServiceProcess> {
  await refuseBusyPort(options.readyUrl, options.entry);
  const instanceId = randomUUID();
  // For profiling what a test or benchmark starts, e.g. SERVICE_NODE_ARGS=--cpu-prof.
  const profiling = (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const nodeArgs = [...(options.nodeArgs ?? []), ...profiling];
  // A built entry goes to node absolute, so that node never reads one named `-x.js` as an option
  // of its own; a TypeScript one is passed on as given, as the demo recognises its services by
  // it (see tools/demo/src/workspace-process.ts).
  const isBuilt = BUILT_ENTRY.test(options.entry);
  const command = isBuilt
    ? [path.resolve(WORKSPACE_ROOT, options.entry)]
    : [path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'), options.entry];
  const child = spawn(process.execPath, [...nodeArgs, ...command], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...options.env, [INSTANCE_ID_ENV]: instanceId },
    stdio: 'pipe',
  });
  try {
    options.onSpawn?.(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  // Bounded, and cheap per chunk: a long-running demo or a chatty service must not cost the
  // parent a copy of everything it captured on every write.
  const chunks: string[] = [];
  let captured = 0;
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const capture = (chunk: Buffer) => {
    const text = chunk.toString();
    chunks.push(text);
    captured += text.length;
    while (captured > OUTPUT_LIMIT && chunks.length > 1) captured -= chunks.shift()?.length ?? 0;
    log?.write(chunk);
  };
  const output = () => chunks.join('');
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  // 'close', not 'exit': only then has everything the child wrote been read.
  child.once('close', () => log?.end());

  const service: ServiceProcess = {
    child,
    output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        // A child that already ended (by itself or by a signal) will emit no second exit.
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('close', (code) => resolve(code));
        child.kill(signal);
      }),
  };
  const exited = () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.entry} exited with ${child.exitCode}:\n${output()}`);
    }
  };
  try {
    await waitForHttp(options.readyUrl, options.timeoutMs ?? 30_000, exited, instanceId);
  } catch (error) {
    await service.stop('SIGKILL');
    throw error;
  }

  return service;
}

async function refuseBusyPort(readyUrl: string, entry: string): Promise<void> {
  const url = new URL(readyUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (await portInUse(port, host)) {
    throw new Error(
      `port ${port} on ${host} is already in use, so ${entry} cannot listen there ` +
        '(another server, or an earlier run still going?)',
    );
  }
}

/**
 * Polls `url` until it answers 2xx. With `instanceId`, only an answer carrying that id counts;
 * a 2xx without it means another server holds the port, and fails at once.
 */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  check: () => void = () => undefined,
  instanceId?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    check();
    const response = await fetch(url).catch(() => undefined); // undefined: not listening yet
    if (response?.ok) {
      const answeredBy = response.headers.get(INSTANCE_ID_HEADER);
      if (!instanceId || answeredBy === instanceId) return;
      const port = new URL(url).port;
      throw new Error(`${url} is answered by another server: port ${port} is taken by it`);
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** Polls until `probe` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
