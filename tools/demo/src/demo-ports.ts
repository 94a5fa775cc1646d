import { ConfigError } from '@sm/config';
import { portInUse } from '@sm/testing';

import { DemoRefusedError } from './demo-refused.error';
import { DEFAULT_PORTS, StackPorts } from './stack';
import { StartedService } from './started-services';

/** The variable that moves one service's port, for each part of the stack. */
const PORT_VARIABLES: Record<keyof StackPorts, string> = {
  sandbox: 'DEMO_SANDBOX_PORT',
  auth: 'DEMO_AUTH_PORT',
  ingress: 'DEMO_INGRESS_PORT',
  sync: 'DEMO_SYNC_PORT',
  notification: 'DEMO_NOTIFICATION_PORT',
};

/** The default base: 3000 gives the README's ports, 3001–3004 and the sandbox on 4010. */
const DEFAULT_BASE = 3000;

/**
 * The demo's ports: `DEMO_PORT_BASE` moves them all together (auth on base + 1 … notification
 * on base + 4, the sandbox on base + 1010), and `DEMO_<SERVICE>_PORT` moves one. A blank
 * variable is unset, as everywhere; a bad value fails as a ConfigError naming the variable set.
 */
export function demoPorts(env: NodeJS.ProcessEnv = process.env): StackPorts {
  const base = readPort('DEMO_PORT_BASE', env, 0) ?? DEFAULT_BASE;
  const names = Object.keys(PORT_VARIABLES) as (keyof StackPorts)[];
  const entries = names.map((name) => {
    const chosen = readPort(PORT_VARIABLES[name], env, 1);
    if (chosen !== undefined) return [name, chosen];

    const port = DEFAULT_PORTS[name] + base - DEFAULT_BASE;
    if (port < 1 || port > 65535) {
      throw new ConfigError([
        `DEMO_PORT_BASE=${base} would put ${name} on port ${port}, past 65535: ` +
          `lower it, or set ${PORT_VARIABLES[name]}`,
      ]);
    }

    return [name, port];
  });

  return Object.fromEntries(entries) as StackPorts;
}

/**
 * Fails, naming every busy port and how to move it, before the demo touches anything; a port
 * that one of `started` (an earlier demo's services still running) listens on names its pid.
 */
export async function assertDemoPortsFree(
  ports: StackPorts,
  started: StartedService[] = [],
): Promise<void> {
  const names = Object.keys(ports) as (keyof StackPorts)[];
  const busy: string[] = [];
  for (const name of names) {
    if (await portInUse(ports[name])) busy.push(describeBusyPort(name, ports[name], started));
  }
  if (busy.length === 0) return;

  throw new DemoRefusedError(
    `port ${busy.join(', port ')} already in use on 127.0.0.1 (another stack running?); ` +
      'stop it, or move the demo with DEMO_PORT_BASE or the variable named',
  );
}

function describeBusyPort(name: keyof StackPorts, port: number, started: StartedService[]): string {
  const holder = started.find((service) => service.port === port);
  const by = holder ? `, held by pid ${holder.pid}: ${holder.service} of an earlier demo` : '';

  return `${port} (${name}, ${PORT_VARIABLES[name]}${by})`;
}

/**
 * The port `variable` sets, or undefined when it is unset or blank. A service's port is from 1
 * (0 would have the system pick one the demo cannot name); the base may be 0.
 */
function readPort(variable: string, env: NodeJS.ProcessEnv, lowest: 0 | 1): number | undefined {
  const text = env[variable]?.trim();
  if (!text) return undefined;

  const value = Number(text);
  if (!Number.isInteger(value) || value < lowest || value > 65535) {
    throw new ConfigError([`${variable} must be a port number, not "${env[variable]}"`]);
  }

  return value;
}
