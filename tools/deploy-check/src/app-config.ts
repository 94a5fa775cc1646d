import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { WORKSPACE_ROOT } from './workspace';

/** The environment schema an app validates at start-up (`src/config/*.config.ts`). */
export function appConfigSchema(app: string): z.ZodObject {
  const configDir = path.join(WORKSPACE_ROOT, 'apps', app, 'src/config');
  if (!existsSync(configDir)) throw new Error(`apps/${app}/src/config does not exist yet`);

  const schemas = readdirSync(configDir)
    .filter((file) => file.endsWith('.config.ts'))
    // The path is computed on purpose: this tool inspects the apps and is not part of them, so
    // it stays outside the module-boundary graph.
    .flatMap((file) => Object.values(require(path.join(configDir, file)) as object))
    .filter((value): value is z.ZodObject => value instanceof z.ZodObject && 'PORT' in value.shape);
  if (schemas.length !== 1) {
    throw new Error(`apps/${app}/src/config should export one env schema with PORT`);
  }

  return schemas[0];
}

export function appConfigVariables(app: string): string[] {
  return Object.keys(appConfigSchema(app).shape).sort();
}

/**
 * The variables an app runs without, unset meaning none (no channel, no key, no rules file): the
 * field accepts unset and gives nothing then. A variable whose default is a value (a URL, a
 * number) is not one: unset, it still sets something, which a deployment must not leave to
 * chance.
 */
export function optionalVariables(app: string): string[] {
  const { shape } = appConfigSchema(app);

  return Object.keys(shape)
    .filter((name) => {
      const unset = (shape[name] as z.ZodType).safeParse(undefined);

      return unset.success && isNothing(unset.data);
    })
    .sort();
}

function isNothing(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof Map || value instanceof Set) return value.size === 0;

  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

export interface CheckConfigResult {
  exitCode: number | null;
  output: string;
}

let running = 0;
const waiting: Array<() => void> = [];

/**
 * At most `limit` validations at once: each is a Node process that mostly waits on module
 * loading, so a few side by side cut the suite's time without starving the machine.
 */
export async function withProcessSlot<T>(task: () => Promise<T>, limit = 4): Promise<T> {
  if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await task();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/**
 * Runs `apps/<app>/src/main.ts --check-config` with exactly `env` (nothing inherited from this
 * shell but PATH): the app's own validation, against a manifest's environment.
 */
export function runCheckConfig(
  app: string,
  env: Record<string, string>,
  timeoutMs = 45_000,
): Promise<CheckConfigResult> {
  const main = `apps/${app}/src/main.ts`;
  if (!existsSync(path.join(WORKSPACE_ROOT, main))) {
    return Promise.resolve({ exitCode: null, output: `${main} does not exist yet` });
  }

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['tools/run-ts.cjs', main, '--check-config'], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      output += `\n(--check-config still running after ${timeoutMs} ms: killed)`;
    }, timeoutMs);
    child.once('error', reject);
    // 'close', not 'exit': only then has everything the child wrote been read.
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output });
    });
  });
}
