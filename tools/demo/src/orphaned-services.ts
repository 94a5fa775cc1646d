import { setTimeout as sleep } from 'node:timers/promises';

import {
  DEMO_SERVICE_MARK,
  readStartedServices,
  removeStartedServices,
  StartedService,
} from './started-services';
import { hasEnvironment, isRunning, isWorkspaceProcess } from './workspace-process';

/** The demo's own entry, as `npm start` runs it. */
const DEMO_ENTRY = 'tools/demo/src/main.ts';
/** Time to drain queues and close pools, as on Ctrl-C, before SIGKILL. */
const TERM_GRACE_MS = 5_000;
const KILL_GRACE_MS = 2_000;
const POLL_MS = 100;

/**
 * Stops the services an earlier demo of this prefix started and never stopped: killed with
 * SIGKILL, it left them holding its ports, database and queues. Only a pid that is still
 * verifiably the service it started, and carries this prefix's mark, is signalled (SIGTERM, then
 * SIGKILL after a grace), and none while that demo runs. Resolves with the services of that demo
 * still running, for the port check to name.
 */
export async function stopOrphanedServices(
  { stateDir, queuePrefix }: { stateDir: string; queuePrefix: string },
  say: (line: string) => void,
): Promise<StartedService[]> {
  const earlier = readStartedServices(stateDir, say);
  if (!earlier) return [];

  const { demoPid, services } = earlier;
  const running = services.filter(isStartedService);
  if (isDemo(demoPid)) {
    if (running.length) say(`⚠ demo pid ${demoPid} still runs ${list(running)}: left alone`);

    return running;
  }
  const isOurs = (service: StartedService) => isMarked(service, queuePrefix);
  const ours = running.filter(isOurs);
  for (const other of services.filter((s) => !ours.includes(s) && isRunning(s.pid))) {
    say(`⚠ pid ${other.pid}, listed as ${other.service}, is another process now: left alone`);
  }
  await stopAll(ours, isOurs);
  const stillRunning = ours.filter(isOurs);
  const stopped = ours.filter((service) => !stillRunning.includes(service));
  if (stopped.length) {
    say(`▶ demo pid ${demoPid} ended without stopping its services; stopped ${list(stopped)}`);
  }
  if (stillRunning.length) say(`⚠ could not stop ${list(stillRunning)}`);
  else removeStartedServices(stateDir);

  return stillRunning;
}

/** Alive, and still the process that was started (not another one given its pid since). */
function isStartedService(service: StartedService): boolean {
  return (
    service.pid !== process.pid &&
    isWorkspaceProcess(service.pid, service.entry, service.startTicks)
  );
}

/** That, and started by a demo of `queuePrefix`: only then may it be signalled. */
function isMarked(service: StartedService, queuePrefix: string): boolean {
  return isStartedService(service) && hasEnvironment(service.pid, DEMO_SERVICE_MARK, queuePrefix);
}

function isDemo(pid: number): boolean {
  return pid !== process.pid && isWorkspaceProcess(pid, DEMO_ENTRY);
}

async function stopAll(
  services: StartedService[],
  isOurs: (service: StartedService) => boolean,
): Promise<void> {
  signal(services.filter(isOurs), 'SIGTERM');
  await untilStopped(services, isOurs, TERM_GRACE_MS);
  // Checked again right before each signal: a service that ended meanwhile may have a successor.
  signal(services.filter(isOurs), 'SIGKILL');
  await untilStopped(services, isOurs, KILL_GRACE_MS);
}

function signal(services: StartedService[], signalName: NodeJS.Signals): void {
  for (const service of services) {
    try {
      process.kill(service.pid, signalName);
    } catch {
      // It ended between the check and the signal, or is not ours to signal (EPERM).
    }
  }
}

async function untilStopped(
  services: StartedService[],
  isOurs: (service: StartedService) => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (services.some(isOurs) && Date.now() < deadline) await sleep(POLL_MS);
}

function list(services: StartedService[]): string {
  return services.map((s) => `pid ${s.pid} (${s.service}, port ${s.port})`).join(', ');
}
