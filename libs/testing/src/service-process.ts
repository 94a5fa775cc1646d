import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** How much of a process's output is kept for assertions (the most recent part). */
const OUTPUT_LIMIT = 4_000_000;

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

/** A port the OS says is free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote, for assertions about what reaches a log. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts one of the workspace's TypeScript entry points as a real child process and waits until
 * `readyUrl` answers 2xx.
 */
export async function startServiceProcess(options: {
  entry: string;
  env: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
  /** Also append everything the process writes to this file. */
  logFile?: string;
}): Promise<ServiceProcess> {
  // For profiling what a test or benchmark starts, e.g. SERVICE_NODE_ARGS=--cpu-prof.
  const nodeArgs = (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'), options.entry],
    { cwd: WORKSPACE_ROOT, env: { ...process.env, ...options.env }, stdio: 'pipe' },
  );
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
  await waitForHttp(options.readyUrl, options.timeoutMs ?? 30_000, () => {
    if (child.exitCode !== null) {
      throw new Error(`${options.entry} exited with ${child.exitCode}:\n${output()}`);
    }
  });

  return service;
}

export async function waitForHttp(
  url: string,
  timeoutMs: number,
  check: () => void = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    check();
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
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
