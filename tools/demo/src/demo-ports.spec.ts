import { createServer } from 'node:net';

import { ConfigError } from '@sm/config';
import { freePort } from '@sm/testing';

import { assertDemoPortsFree, demoPorts } from './demo-ports';
import { DEFAULT_PORTS } from './stack';

describe('the demo’s ports', () => {
  it('are the README’s by default', () => {
    expect(demoPorts({})).toEqual({
      sandbox: 4010,
      auth: 3001,
      ingress: 3002,
      sync: 3003,
      notification: 3004,
    });
  });

  it('move together with DEMO_PORT_BASE, and one by one with DEMO_<SERVICE>_PORT', () => {
    expect(demoPorts({ DEMO_PORT_BASE: '13000', DEMO_SYNC_PORT: '18003' })).toEqual({
      sandbox: 14010,
      auth: 13001,
      ingress: 13002,
      sync: 18003,
      notification: 13004,
    });
  });

  it('read a blank variable as unset, as every other setting does', () => {
    expect(demoPorts({ DEMO_PORT_BASE: '', DEMO_AUTH_PORT: '  ' })).toEqual(DEFAULT_PORTS);
  });

  it('refuse a value that is not a port as a ConfigError, naming the variable', () => {
    expect(() => demoPorts({ DEMO_AUTH_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => demoPorts({ DEMO_AUTH_PORT: 'abc' })).toThrow('DEMO_AUTH_PORT must be a port');
  });

  it('refuse port 0 for a service as a ConfigError naming its variable, not the base', () => {
    const zero = () => demoPorts({ DEMO_SYNC_PORT: '0' });

    expect(zero).toThrow(ConfigError);
    expect(zero).toThrow('DEMO_SYNC_PORT must be a port number, not "0"');
  });

  it('refuse a base past the last port as a ConfigError naming DEMO_PORT_BASE', () => {
    const tooHigh = () => demoPorts({ DEMO_PORT_BASE: '65000' });

    expect(tooHigh).toThrow(ConfigError);
    expect(tooHigh).toThrow(
      'DEMO_PORT_BASE=65000 would put sandbox on port 66010, past 65535: ' +
        'lower it, or set DEMO_SANDBOX_PORT',
    );
  });

  it('fail before anything starts, naming the busy port and how to move it', async () => {
    const busyPort = await freePort();
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(busyPort, '127.0.0.1', resolve));
    const ports = { ...DEFAULT_PORTS, auth: busyPort, sandbox: await freePort() };
    for (const name of ['ingress', 'sync', 'notification'] as const) ports[name] = await freePort();

    try {
      await expect(assertDemoPortsFree(ports)).rejects.toThrow(
        `port ${busyPort} (auth, DEMO_AUTH_PORT) already in use`,
      );
      await new Promise((resolve) => other.close(resolve));
      await expect(assertDemoPortsFree(ports)).resolves.toBeUndefined();
    } finally {
      if (other.listening) other.close();
    }
  });

  it('name the pid and the service of an earlier demo still listening on a busy port', async () => {
    const ports = { ...DEFAULT_PORTS };
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(ports.sync, '127.0.0.1', resolve));
    const entry = 'apps/sync-worker/src/main.ts';
    const started = [
      { pid: 4242, service: 'sync-worker' as const, port: ports.sync, entry, startTicks: 1 },
    ];

    try {
      await expect(assertDemoPortsFree(ports, started)).rejects.toThrow(
        `port ${ports.sync} (sync, DEMO_SYNC_PORT, held by pid 4242: sync-worker of an earlier ` +
          'demo) already in use',
      );
    } finally {
      other.close();
    }
  });
});
