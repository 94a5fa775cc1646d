import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { eventually, TEST_REDIS_URL, uniqueQueuePrefix, WORKSPACE_ROOT } from '@sm/testing';

import { demoPorts } from '../src/demo-ports';
import type { DemoApp, StartedService, StartedServices } from '../src/started-services';
import { StackPorts } from '../src/stack';
import { processStartTicks } from '../src/workspace-process';
import {
  DemoEnv,
  freePortBase,
  killed,
  runDemo,
  scratchDemoDatabase,
  startDemo,
} from './support/demo-processes';

jest.setTimeout(300_000);

/** Where `npm start` lists the services it started: tmp/demo/<prefix>/services.json. */
const servicesFile = (env: DemoEnv) =>
  path.join(WORKSPACE_ROOT, 'tmp/demo', env.DEMO_QUEUE_PREFIX, 'services.json');

/** Each app the demo starts, by the part of the stack whose port it takes. */
const APP_PORTS: Record<DemoApp, keyof StackPorts> = {
  'ghl-sandbox': 'sandbox',
  'auth-service': 'auth',
  'webhook-ingress': 'ingress',
  'sync-worker': 'sync',
  'notification-service': 'notification',
};

describe('services a demo left running (real npm start entry, Postgres, Redis)', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function demoEnv(label: string): Promise<DemoEnv> {
    const database = scratchDemoDatabase();
    const env = {
      DEMO_DATABASE_URL: database.url,
      DEMO_QUEUE_PREFIX: uniqueQueuePrefix(label),
      DEMO_PORT_BASE: String(await freePortBase()),
      REDIS_URL: TEST_REDIS_URL,
      DEMO_CONTACTS: '20',
    };
    cleanups.push(async () => {
      await database.drop();
      rmSync(path.dirname(servicesFile(env)), { recursive: true, force: true });
    });

    return env;
  }

  /**
   * Starts a demo that serves until the test ends, and finds its services as the system shows
   * them (its child processes), not as the demo lists them.
   */
  async function servingDemo(
    env: DemoEnv,
  ): Promise<{ demo: ChildProcess; services: StartedService[] }> {
    const demo = await startDemo(env, [], 'Serving:', 180_000);
    const children = childPids(demo.pid).map((pid) => ({ pid, command: commandLine(pid) }));
    cleanups.push(async () => {
      await killed(demo, 'SIGKILL');
      // Whatever of its services the demo under test failed to stop, and only those.
      for (const { pid, command } of children) {
        if (commandLine(pid) === command) process.kill(pid, 'SIGKILL');
      }
    });
    const ports = demoPorts({ DEMO_PORT_BASE: env.DEMO_PORT_BASE });
    const services = children.map(({ pid, command }) => {
      const entry = command?.split('\0').find((arg) => /^apps\/.+\/src\/main\.ts$/.test(arg));
      const service = (entry?.split('/')[1] ?? '?') as DemoApp;
      const startTicks = processStartTicks(pid) ?? 0;

      return { pid, service, port: ports[APP_PORTS[service]], entry: entry ?? '?', startTicks };
    });

    return { demo, services };
  }

  it('lists the services it started, and the next demo stops them after a SIGKILL', async () => {
    const env = await demoEnv('demo-orphans');
    const { demo, services } = await servingDemo(env);
    const listed = existsSync(servicesFile(env))
      ? (JSON.parse(readFileSync(servicesFile(env), 'utf8')) as StartedServices)
      : undefined;
    await killed(demo, 'SIGKILL');
    expect(services.filter((service) => processExists(service.pid))).toHaveLength(5);

    const next = await runDemo(env, ['--once', '--json'], 240_000);

    expect({ code: next.code, stderr: next.code === 0 ? '' : next.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(JSON.parse(next.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({
      inSync: true,
    });
    expect(next.stderr).toContain(
      `▶ demo pid ${demo.pid} ended without stopping its services; stopped pid `,
    );
    for (const { pid, service, port } of services) {
      expect(next.stderr).toContain(`pid ${pid} (${service}, port ${port})`);
    }
    expect(services.filter((service) => processExists(service.pid))).toEqual([]);
    expect(listed?.demoPid).toBe(demo.pid);
    expect(listed?.services).toHaveLength(5);
    expect(listed?.services).toEqual(
      expect.arrayContaining(services.map((s) => expect.objectContaining(s))),
    );
    expect(existsSync(servicesFile(env))).toBe(false);
  });

  it('lists a service from its spawn on: killed while it starts, the next stops it', async () => {
    const env = await demoEnv('demo-starting');
    const demo = await startDemo(env, [], '▶ starting the GHL sandbox', 180_000);
    cleanups.push(() => killed(demo, 'SIGKILL'));
    const sandbox = await eventually(async () => spawnedChild(demo, 'apps/ghl-sandbox/'), 60_000);
    cleanups.push(async () => {
      if (commandLine(sandbox.pid) === sandbox.command) process.kill(sandbox.pid, 'SIGKILL');
    });
    // The list is written right after the spawn returns: a kill before that loses the entry
    // (see stack.ts), so the kill waits for it, not for the process alone.
    await eventually(async () => (listedPids(env).includes(sandbox.pid) ? true : undefined));
    await killed(demo, 'SIGKILL');
    const port = demoPorts({ DEMO_PORT_BASE: env.DEMO_PORT_BASE }).sandbox;

    const next = await runDemo(env, ['--once'], 240_000);

    expect({ code: next.code, stderr: next.code === 0 ? '' : next.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(next.stderr).toContain(`stopped pid ${sandbox.pid} (ghl-sandbox, port ${port})`);
    expect(processExists(sandbox.pid)).toBe(false);
  });

  it('names a service that ends by itself while it serves, with its log', async () => {
    const env = await demoEnv('demo-service-ended');
    const { demo, services } = await servingDemo(env);
    let said = '';
    demo.stderr?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const worker = services.find((service) => service.service === 'sync-worker');

    process.kill(worker?.pid ?? 0, 'SIGKILL');

    const line =
      `✖ sync-worker (pid ${worker?.pid}) ended by itself (SIGKILL); its log: ` +
      `tmp/demo/${env.DEMO_QUEUE_PREFIX}/logs/sync-worker.log`;
    await eventually(async () => (said.includes(line) ? true : undefined), 20_000, line);
    expect(said.match(/ended by itself/g)).toHaveLength(1);
  });

  it('never signals a listed pid that is another process now', async () => {
    const env = await demoEnv('demo-not-ours');
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    cleanups.push(() => killed(sleeper, 'SIGKILL'));
    const listed: StartedServices = {
      demoPid: await endedPid(),
      services: [
        {
          pid: sleeper.pid ?? 0,
          service: 'auth-service',
          port: Number(env.DEMO_PORT_BASE) + 1,
          entry: 'apps/auth-service/src/main.ts',
          startTicks: processStartTicks(sleeper.pid ?? 0) ?? 0,
        },
      ],
    };
    mkdirSync(path.dirname(servicesFile(env)), { recursive: true });
    writeFileSync(servicesFile(env), JSON.stringify(listed));

    const run = await runDemo(env, ['--once'], 240_000);

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(run.stderr).toContain(
      `⚠ pid ${sleeper.pid}, listed as auth-service, is another process now: left alone`,
    );
    expect({ exitCode: sleeper.exitCode, signal: sleeper.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
    expect(processExists(sleeper.pid ?? 0)).toBe(true);
    expect(existsSync(servicesFile(env))).toBe(false);
  });

  it('stops the services it started when one of them fails to start', async () => {
    const env = await demoEnv('demo-failed-start');
    cleanups.push(async () => {
      for (const pid of processesOfPrefix(env.DEMO_QUEUE_PREFIX)) process.kill(pid, 'SIGKILL');
    });
    // The notification service refuses this at boot, while the other three start.
    const failing = { ...env, NOTIFY_SMTP_URL: 'not-an-smtp-url' };

    const failed = await runDemo(failing, ['--once'], 180_000);

    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('NOTIFY_SMTP_URL');
    expect(processesOfPrefix(env.DEMO_QUEUE_PREFIX)).toEqual([]);
  });

  it('leaves the services of a demo still running alone, naming them on busy ports', async () => {
    const running = await demoEnv('demo-running');
    const { demo, services } = await servingDemo(running);
    // Two demos of one prefix on two Redis servers share the folder (see demo-state.ts).
    const other = { ...(await demoEnv('demo-beside')), DEMO_PORT_BASE: running.DEMO_PORT_BASE };
    const listed: StartedServices = { demoPid: demo.pid ?? 0, services };
    mkdirSync(path.dirname(servicesFile(other)), { recursive: true });
    writeFileSync(servicesFile(other), JSON.stringify(listed));

    const refused = await runDemo(other, ['--once'], 120_000);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`⚠ demo pid ${demo.pid} still runs pid `);
    const auth = services.find((service) => service.service === 'auth-service');
    expect(refused.stderr).toContain(
      `port ${auth?.port} (auth, DEMO_AUTH_PORT, held by pid ${auth?.pid}: auth-service of an ` +
        'earlier demo)',
    );
    expect(refused.stderr).not.toContain('▶ resetting');
    expect(services.filter((service) => processExists(service.pid))).toEqual(services);
    await killed(demo, 'SIGINT');
    expect(services.filter((service) => processExists(service.pid))).toEqual([]);
    expect(existsSync(servicesFile(running))).toBe(false);
  });
});

/** The processes a demo of this prefix started and that still run (they inherit its env). */
function processesOfPrefix(prefix: string): number[] {
  const mark = `DEMO_QUEUE_PREFIX=${prefix}\0`;

  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/environ`, 'utf8').includes(mark);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The pids the demo of `env` lists as started; none while it has no list. */
function listedPids(env: DemoEnv): number[] {
  try {
    const listed = JSON.parse(readFileSync(servicesFile(env), 'utf8')) as StartedServices;

    return listed.services.map((service) => service.pid);
  } catch {
    return [];
  }
}

/** The child of `parent` whose command line holds `part`, as soon as there is one. */
function spawnedChild(
  parent: ChildProcess,
  part: string,
): { pid: number; command: string } | undefined {
  for (const pid of childPids(parent.pid)) {
    const command = commandLine(pid);
    if (command?.includes(part)) return { pid, command };
  }

  return undefined;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);

    return true;
  } catch {
    return false;
  }
}

function childPids(pid: number | undefined): number[] {
  let listed: string;
  try {
    listed = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when the process has no child (yet)
  }

  return listed.split('\n').filter(Boolean).map(Number);
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid of a process that has ended: no demo runs on it. */
async function endedPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));

  return child.pid ?? 0;
}
