import { readFileSync } from 'node:fs';
import path from 'node:path';

import { WORKSPACE_ROOT } from '@sm/testing';

/** What every service and demo of this clone runs under (see startServiceProcess). */
const RUN_TS = path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs');

/**
 * Whether `pid` is, right now, `node tools/run-ts.cjs <entry>` of this clone (`entry` the very
 * argument after it) and, when `startTicks` is given, the very process that started then (a pid
 * alone may have been reused).
 *
 * TODO: reads /proc, so it is Linux only; elsewhere no process is ever recognised, and the demo
 * stops nothing: a busy port is refused as before, which is safe, only less helpful.
 */
export function isWorkspaceProcess(pid: number, entry: string, startTicks?: number): boolean {
  const args = readProc(pid, 'cmdline')?.split('\0') ?? [];
  const runTs = args.indexOf(RUN_TS);
  if (runTs < 0 || args[runTs + 1] !== entry) return false;

  return startTicks === undefined || processStartTicks(pid) === startTicks;
}

/** Whether the environment `pid` started with holds `name=value`. */
export function hasEnvironment(pid: number, name: string, value: string): boolean {
  return readProc(pid, 'environ')?.split('\0').includes(`${name}=${value}`) ?? false;
}

/** When the process started, in clock ticks since boot: with its pid, it names one process. */
export function processStartTicks(pid: number): number | undefined {
  const field = statFields(pid)?.[19];

  return field === undefined ? undefined : Number(field);
}

/** Any process at all on that pid, a zombie aside (it is dead, only not reaped yet). */
export function isRunning(pid: number): boolean {
  const state = statFields(pid)?.[0];

  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** /proc/<pid>/stat from its third field (the state) on. */
function statFields(pid: number): string[] | undefined {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;

  // The second field, the command name in parentheses, may itself hold spaces and parentheses.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // no such process (or no /proc)
  }
}
