import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { INSTANCE_ID_ENV, INSTANCE_ID_HEADER } from '@sm/platform';

import { freePort } from './free-port';
import { startServiceProcess, waitForHttp, WORKSPACE_ROOT } from './service-process';

jest.setTimeout(60_000);

/** Someone else's server on the machine, healthy on every path. */
async function otherServer(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200).end('{"status":"ok"}'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return server;
}

function sandboxOn(port: number) {
  return startServiceProcess({
    entry: 'apps/ghl-sandbox/src/main.ts',
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    readyUrl: `http://127.0.0.1:${port}/health/live`,
  });
}

describe('startServiceProcess', () => {
  it('refuses at once, naming the port, when another server holds it', async () => {
    const port = await freePort();
    const other = await otherServer(port);
    const startedAt = Date.now();

    try {
      await expect(sandboxOn(port)).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('counts a 2xx only from the process it started (a port taken after the check)', async () => {
    const port = await freePort();
    const other = await otherServer(port);

    try {
      const waiting = waitForHttp(`http://127.0.0.1:${port}/health/live`, 5_000, undefined, 'id');
      await expect(waiting).rejects.toThrow(`port ${port} is taken by it`);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('is ready when its own child answers, and the answer carries the child’s id', async () => {
    const port = await freePort();
    const sandbox = await sandboxOn(port);

    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(response.status).toBe(200);
      expect(response.headers.get(INSTANCE_ID_HEADER)).toMatch(/^[0-9a-f-]{36}$/);
      expect(sandbox.child.exitCode).toBeNull();
    } finally {
      await sandbox.stop();
    }
  });

  it('runs an entry point from source as the built services run (no domain module)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'),
      'libs/testing/src/fixtures/runner-probe.ts',
    ]);

    expect(JSON.parse(stdout)).toEqual({
      aliasResolved: true,
      constructorTypes: ['Clock'],
      loadedDomain: false,
    });
  });

  describe('a built entry (JavaScript already)', () => {
    const fixture = path.join(WORKSPACE_ROOT, 'libs/testing/src/fixtures/built-service.js');
    let copies: string;
    beforeAll(() => {
      copies = mkdtempSync(path.join(tmpdir(), 'built-entry-'));
    });
    afterAll(() => rmSync(copies, { recursive: true, force: true }));

    const startBuilt = async (entry: string) => {
      const port = await freePort();
      const built = await startServiceProcess({
        entry,
        env: {
          PORT: String(port),
          PROBE_ID_HEADER: INSTANCE_ID_HEADER,
          PROBE_ID_ENV: INSTANCE_ID_ENV,
        },
        readyUrl: `http://127.0.0.1:${port}/health/live`,
      });
      try {
        return await (await fetch(`http://127.0.0.1:${port}/`)).json();
      } finally {
        await built.stop();
      }
    };

    it('runs with node itself, not the TypeScript runner, at its absolute path', async () => {
      expect(await startBuilt('libs/testing/src/fixtures/built-service.js')).toEqual({
        runByTheTsRunner: false,
        script: fixture,
      });
    });

    it.each(['service.cjs', 'SERVICE.JS'])(
      'is told by its extension, whatever it is: %s',
      async (name) => {
        const copy = path.join(copies, name);
        copyFileSync(fixture, copy);

        expect(await startBuilt(copy)).toEqual({ runByTheTsRunner: false, script: copy });
      },
    );
  });
});
