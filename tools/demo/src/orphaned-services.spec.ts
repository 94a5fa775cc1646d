import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { WORKSPACE_ROOT } from '@sm/testing';

import { stopOrphanedServices } from './orphaned-services';
import { DEMO_SERVICE_MARK, startedServicesFile } from './started-services';
import { processStartTicks } from './workspace-process';

const RUN_TS = path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs');
const AUTH_ENTRY = 'apps/auth-service/src/main.ts';
const QUEUE_PREFIX = 'orphaned-services-spec';

/**
 * Real processes stand in for a killed demo's services: an idle node whose command line and
 * environment are chosen, to see which of them a hand-edited list can get signalled.
 */
describe('stopping the services an earlier demo left running', () => {
  let stateDir: string;
  const started: ChildProcess[] = [];

  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'orphaned-services-'));
  });

  afterEach(() => {
    for (const child of started.splice(0)) {
      if (isAlive(child)) child.kill('SIGKILL');
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  function idleProcess(args: string[], mark = QUEUE_PREFIX): ChildProcess {
    const script = 'setInterval(() => undefined, 1_000_000)';
    const env = { ...process.env, [DEMO_SERVICE_MARK]: mark };
    const child = spawn(process.execPath, ['-e', script, ...args], { env, stdio: 'ignore' });
    started.push(child);

    return child;
  }

  function leaveList(services: Record<string, unknown>[]): void {
    // pid 2 is kthreadd, never a demo, so the listing demo counts as ended.
    writeFileSync(startedServicesFile(stateDir), JSON.stringify({ demoPid: 2, services }));
  }

  const listing = (child: ChildProcess, entry = AUTH_ENTRY) => ({
    pid: child.pid,
    service: 'auth-service',
    port: 3001,
    entry,
    startTicks: processStartTicks(child.pid ?? 0),
  });

  const stop = async () => {
    const lines: string[] = [];
    await stopOrphanedServices({ stateDir, queuePrefix: QUEUE_PREFIX }, (line) => lines.push(line));

    return lines;
  };

  it('stops a listed service of this prefix, still the process it started', async () => {
    const service = idleProcess([RUN_TS, AUTH_ENTRY]);
    await untilSpawned(service);
    leaveList([listing(service)]);

    const lines = await stop();

    expect(lines.join('\n')).toContain(`stopped pid ${service.pid} (auth-service, port 3001)`);
    await untilExited(service);
  });

  it('leaves alone a process whose entry is not the argument right after run-ts.cjs', async () => {
    const other = idleProcess([RUN_TS, 'tools/other.ts', AUTH_ENTRY]);
    await untilSpawned(other);
    leaveList([listing(other)]);

    await stop();

    expect(isAlive(other)).toBe(true);
  });

  it('leaves alone a process listed with an entry the demo does not start', async () => {
    const demo = idleProcess([RUN_TS, 'tools/demo/src/main.ts']);
    await untilSpawned(demo);
    leaveList([listing(demo, 'tools/demo/src/main.ts')]);

    await stop();

    expect(isAlive(demo)).toBe(true);
  });

  it('leaves alone a process listed without its start time', async () => {
    const service = idleProcess([RUN_TS, AUTH_ENTRY]);
    await untilSpawned(service);
    leaveList([{ ...listing(service), startTicks: undefined }]);

    await stop();

    expect(isAlive(service)).toBe(true);
  });

  it('leaves alone a service without the mark of this prefix', async () => {
    const service = idleProcess([RUN_TS, AUTH_ENTRY], 'another-prefix');
    await untilSpawned(service);
    leaveList([listing(service)]);

    const lines = await stop();

    expect(isAlive(service)).toBe(true);
    expect(lines).toContain(
      `⚠ pid ${service.pid}, listed as auth-service, is another process now: left alone`,
    );
  });
});

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function untilSpawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('spawn', () => resolve()));
}

function untilExited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    isAlive(child) ? child.once('exit', () => resolve()) : resolve(),
  );
}
