import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often a closing server closes the keep-alive connections that went idle meanwhile. */
const IDLE_SWEEP_MS = 250;

/**
 * Lets a closing server finish without waiting out keep-alive. Node's `close()` drops the
 * connections idle at that moment, but one still answering a request stays open for the whole
 * keep-alive timeout after its answer (65 s here, past the pod's 30 s grace period, so the
 * shutdown hooks would never run). Once closing, every answer says `Connection: close`, and
 * connections that went idle anyway are closed as they do.
 *
 * Call it after the server listens: the request listener must run before the hot routes, which
 * take over the server's request listeners while the app starts.
 */
export function closeConnectionsOnShutdown(server: Server): void {
  let isClosing = false;
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (isClosing) response.setHeader('connection', 'close');
  });

  const close = server.close.bind(server);
  server.close = (callback?: (error?: Error) => void) => {
    isClosing = true;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS).unref();

    return close((error?: Error) => {
      clearInterval(sweep);
      callback?.(error);
    });
  };
}
