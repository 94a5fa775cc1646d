import type { IncomingHttpHeaders } from 'node:http';

import type { Dispatcher } from 'undici';

/** An HTTP answer with its whole body as text. */
export interface WholeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One HTTP exchange through undici's `dispatch`, the body gathered whole, with no stream in
 * between. `request()` hands the body over as a Readable that `text()` then drains, and that
 * machinery cost about a sixth of the client's CPU per call (a 20,000-call bench of GHL-sized
 * answers on loopback); a sync reads every answer whole anyway. Errors are undici's own, as
 * `request()` gives them (connect, headers and body timeouts included); an aborted `signal`
 * rejects with its reason, before or during the exchange.
 */
export function wholeBodyExchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);

      return;
    }

    const handler = new WholeBodyHandler(resolve, reject, signal);
    dispatcher.dispatch(options, handler);
  });
}

/**
 * The exchanges in flight under each signal, behind one abort listener per signal. A sync run
 * passes its signal to every call: a listener added and removed per exchange was EventTarget's
 * bookkeeping 20,000 times (its addEventListener alone 17-36 ms of the worker's main thread in
 * CPU profiles of the 10k sync bench), where a set's add and delete cost next to nothing.
 */
const inFlight = new WeakMap<AbortSignal, Set<WholeBodyHandler>>();

function watch(signal: AbortSignal, handler: WholeBodyHandler): void {
  const known = inFlight.get(signal);
  if (known) {
    known.add(handler);

    return;
  }

  const handlers = new Set([handler]);
  const abortAll = () => {
    for (const each of [...handlers]) each.abort(signal.reason);
  };
  signal.addEventListener('abort', abortAll, { once: true });
  inFlight.set(signal, handlers);
}

class WholeBodyHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (answer: WholeAnswer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal) watch(signal, this);
  }

  /**
   * Aborted while queued for a connection, the caller is answered at once, and the exchange is
   * cut as soon as it starts.
   */
  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.reject(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal?.aborted) controller.abort(this.signal.reason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.stopListening();
    // Thrown inside undici's callback, a failure (a body past V8's longest string) would be its.
    try {
      this.resolve({ status: this.status, headers: this.headers, text: utf8Text(this.chunks) });
    } catch (error) {
      this.reject(error);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.stopListening();
    this.reject(this.signal?.aborted ? this.signal.reason : error);
  }

  private stopListening(): void {
    if (this.signal) inFlight.get(this.signal)?.delete(this);
  }
}

/**
 * The body as UTF-8 text, without a byte order mark at its start, as undici's `text()` reads it:
 * some gateways open a JSON body with one, which JSON.parse refuses.
 */
function utf8Text(chunks: Buffer[]): string {
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  const hasByteOrderMark =
    body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;

  return body.toString('utf8', hasByteOrderMark ? 3 : 0);
}
