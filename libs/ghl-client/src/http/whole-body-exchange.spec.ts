import { getEventListeners } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Pool } from 'undici';

import { wholeBodyExchange } from './whole-body-exchange';

type Route = (request: IncomingMessage, response: ServerResponse) => void;

describe('wholeBodyExchange', () => {
  let server: Server;
  let origin: string;
  let pool: Pool;
  const seenPaths: string[] = [];
  const routes = new Map<string, Route>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      seenPaths.push(request.url ?? '');
      routes.get(request.url ?? '')?.(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    seenPaths.length = 0;
    pool = new Pool(origin, { connections: 1 });
  });

  afterEach(async () => {
    await pool.destroy();
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Answers once `release` is called: a GHL that holds its answer. */
  const holdAnswer = (path: string) => {
    let release = () => undefined as void;
    routes.set(path, (_request, response) => {
      release = () => response.end('{}');
    });

    return () => release();
  };

  it('gathers a body sent in many chunks, with its status and headers', async () => {
    const parts = Array.from({ length: 50 }, (_, index) => `"${'é'.repeat(500)}${index}"`);
    routes.set('/chunked', (_request, response) => {
      response.writeHead(201, { 'x-ratelimit-remaining': '99' });
      response.write('[');
      parts.forEach((part, index) => response.write(index === 0 ? part : `,${part}`));
      response.end(']');
    });

    const answer = await wholeBodyExchange(pool, { method: 'GET', path: '/chunked' });

    expect(answer.status).toBe(201);
    expect(answer.headers['x-ratelimit-remaining']).toBe('99');
    expect(JSON.parse(answer.text)).toEqual(parts.map((part) => JSON.parse(part)));
  });

  it('drops a UTF-8 byte order mark at the start of the body, as body.text() does', async () => {
    const byteOrderMark = Buffer.from([0xef, 0xbb, 0xbf]);
    routes.set('/marked', (_request, response) =>
      response.end(Buffer.concat([byteOrderMark, Buffer.from('{"name":"Zoë"}')])),
    );

    const answer = await wholeBodyExchange(pool, { method: 'GET', path: '/marked' });

    expect(answer.text).toBe('{"name":"Zoë"}');
  });

  it('answers an empty body as empty text', async () => {
    routes.set('/empty', (_request, response) => response.writeHead(204).end());

    const answer = await wholeBodyExchange(pool, { method: 'DELETE', path: '/empty' });

    expect(answer).toMatchObject({ status: 204, text: '' });
  });

  it('rejects with the signal’s reason when aborted mid-exchange, and frees the pool', async () => {
    const release = holdAnswer('/held');
    routes.set('/after', (_request, response) => response.end('"next"'));
    const controller = new AbortController();
    const reason = new Error('worker shutting down');

    const held = wholeBodyExchange(pool, { method: 'GET', path: '/held' }, controller.signal);
    await waitFor(() => seenPaths.includes('/held'));
    controller.abort(reason);

    await expect(held).rejects.toBe(reason);
    const next = await wholeBodyExchange(pool, { method: 'GET', path: '/after' });
    expect(next.text).toBe('"next"');
    release();
  });

  it('rejects at once when aborted while queued, and never sends the request', async () => {
    const release = holdAnswer('/busy');
    routes.set('/queued', (_request, response) => response.end('{}'));
    const controller = new AbortController();
    const reason = new Error('run stopped');

    const busy = wholeBodyExchange(pool, { method: 'GET', path: '/busy' });
    await waitFor(() => seenPaths.includes('/busy'));
    const queued = wholeBodyExchange(pool, { method: 'GET', path: '/queued' }, controller.signal);
    controller.abort(reason);

    await expect(queued).rejects.toBe(reason);
    release();
    await busy;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seenPaths).toEqual(['/busy']);
  });

  it('aborts every exchange in flight under one signal, which keeps one listener', async () => {
    const release = holdAnswer('/slow');
    routes.set('/fast', (_request, response) => response.end('"done"'));
    const controller = new AbortController();
    const reason = new Error('run stopped');
    const done = await wholeBodyExchange(pool, { method: 'GET', path: '/fast' }, controller.signal);

    const calls = ['/slow', '/fast', '/fast'].map((path) =>
      wholeBodyExchange(pool, { method: 'GET', path }, controller.signal),
    );
    const listeners = getEventListeners(controller.signal, 'abort').length;
    controller.abort(reason);

    expect(done.text).toBe('"done"');
    expect(listeners).toBe(1);
    for (const call of calls) await expect(call).rejects.toBe(reason);
    release();
  });

  it('sends nothing for a signal aborted before the call', async () => {
    const reason = new Error('already stopped');

    const call = wholeBodyExchange(pool, { method: 'GET', path: '/x' }, AbortSignal.abort(reason));

    await expect(call).rejects.toBe(reason);
    expect(seenPaths).toEqual([]);
  });

  it('rejects a refused connection with its code, as failedBeforeSending reads it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = new Pool(`http://127.0.0.1:${port}`);

    const call = wholeBodyExchange(nowhere, { method: 'GET', path: '/' });

    await expect(call).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await nowhere.destroy();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
