import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

/** Serves one request that {@link serveAheadOfExpress} picked for it. */
export type HotRouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts a service's hot path in front of Express and Nest on the same server. Under load, Express'
 * router, Nest's handler pipeline and pino-http's line per request cost several times what the
 * route itself does; a route that needs none of them (no pipes, no body parser, its own checks
 * and logs) is served straight from node:http. `pick` looks at the method and URL only and
 * answers the handler for a request it takes; every other request goes to Express as before.
 *
 * Call it before the app listens (`onApplicationBootstrap`), when no request has arrived yet.
 */
export function serveAheadOfExpress(
  server: Server,
  pick: (request: IncomingMessage) => HotRouteHandler | undefined,
): void {
  const others = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const handler = pick(request);
    if (handler) return handler(request, response);
    for (const listener of others) listener.call(server, request, response);
  });
}

/** The request's path without its query string. */
export function requestPath(request: IncomingMessage): string {
  const url = request.url ?? '';
  const queryAt = url.indexOf('?');

  return queryAt === -1 ? url : url.slice(0, queryAt);
}

/** A JSON answer; nothing when the response is already on its way (or the client gone). */
export function writeJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;

  const json = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  response.end(json);
}

/** The body crossed the route's limit. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the body exceeds ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away before its body arrived: there is nobody left to answer. */
export class RequestAbortedError extends Error {
  constructor() {
    super('the request was aborted');
    this.name = 'RequestAbortedError';
  }
}

/**
 * Reads the exact bytes of the body, at most `maxBytes`. A declared length over the limit is
 * refused before anything is read; a chunked body is refused as soon as it crosses the limit,
 * and the rest is drained unread so that the answer still reaches the client.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (Number(request.headers['content-length']) > maxBytes) {
    return Promise.reject(new BodyTooLargeError(maxBytes));
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAbort);
      request.off('close', onAbort);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      stop();
      request.resume();
      reject(new BodyTooLargeError(maxBytes));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      stop();
      reject(new RequestAbortedError());
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onAbort);
    request.once('close', onAbort);
  });
}
