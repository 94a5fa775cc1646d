import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { Client } from 'pg';

import { ephemeralRangeStart, portInUse, TEST_POSTGRES_URL, WORKSPACE_ROOT } from '@sm/testing';

/** The settings of one demo, as the variables `npm start` reads. */
export interface DemoEnv {
  DEMO_DATABASE_URL: string;
  DEMO_QUEUE_PREFIX: string;
  DEMO_PORT_BASE: string;
  REDIS_URL: string;
  DEMO_CONTACTS?: string;
}

/** A scratch database name on the test server, its URL, and a drop for the teardown. */
export function scratchDemoDatabase(): { name: string; url: string; drop(): Promise<void> } {
  const name = `sm_demo_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;

  return {
    name,
    url: url.toString(),
    drop: async () => {
      const admin = new Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * A port base whose demo ports (base+1 … base+4, base+1010) are all free right now, all below
 * the ephemeral range: a base inside it lost a port to another spec's server on port 0 (or a
 * client's socket) between this check and the demo's listen (EADDRINUSE in a CI run).
 */
export async function freePortBase(): Promise<number> {
  // From 20000: freePort draws the other specs' ports below it.
  const bases = Math.floor((ephemeralRangeStart() - 1_010 - 20_000) / 10);
  for (;;) {
    const base = 20_000 + 10 * Math.floor(Math.random() * bases);
    const ports = [1, 2, 3, 4, 1010].map((offset) => base + offset);
    const busy = await Promise.all(ports.map((port) => portInUse(port)));
    if (!busy.some(Boolean)) return base;
  }
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s entry point (tools/demo/src/main.ts) with these settings and flags. */
export function runDemo(env: DemoEnv, args: string[], timeoutMs: number): Promise<Finished> {
  const child = spawnTs('tools/demo/src/main.ts', env, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);

  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `npm start`'s entry point; resolves once its output holds `line`, leaving it running. */
export async function startDemo(
  env: DemoEnv,
  args: string[],
  line: string,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child = spawnTs('tools/demo/src/main.ts', env, args);
  let output = '';
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(line)) resolve();
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('exit', (code) => reject(new Error(`the demo exited ${code}: ${output}`)));
    });
  } finally {
    clearTimeout(timer);
  }

  return child;
}

/** Starts test/support/hold-demo-lock.ts with these settings; resolves once it holds the lock. */
export async function holdDemoLock(env: DemoEnv): Promise<ChildProcess> {
  const child = spawnTs('tools/demo/test/support/hold-demo-lock.ts', env, []);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('held\n')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the lock holder exited ${code}: ${output}`)));
  });

  return child;
}

export function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function spawnTs(entry: string, env: DemoEnv, args: string[]): ChildProcess {
  return spawn(process.execPath, [path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'), entry, ...args], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
}
