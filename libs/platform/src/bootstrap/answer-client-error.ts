import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What a service's logger must offer: pino's (object, message) form. */
export interface ClientErrorLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

interface ClientError extends Error {
  code?: string;
  /** llhttp's fixed description of what it could not parse (never a header's value). */
  reason?: string;
}

/**
 * Node's HTTP layer refuses malformed and slow requests itself, before Express or Nest see them,
 * and by default answers with a bare status line. This answers them as every other refusal of
 * ours is answered: the right status with a JSON body naming the problem, then the connection
 * closed. Node gives up on the parser here, so the socket cannot serve another request.
 */
export function answerClientError(logger: ClientErrorLogger) {
  return (error: ClientError, socket: Socket): void => {
    const status = statusFor(error);
    const fields = { code: error.code, reason: error.reason, status };
    logFor(logger, status)(fields, 'HTTP request refused by the server');

    // A response already on its way (its headers out) cannot be replaced; Node keeps the
    // ServerResponse of the request being answered on the socket, the one place to ask.
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
      ?.headersSent;
    if (!socket.writable || started || status === undefined) {
      socket.destroy();

      return;
    }

    socket.end(rawResponse(status, messageFor(status, error)));
    // Whatever the client still sends is never read; a client that never reads the answer or
    // closes must not keep the socket.
    setTimeout(() => socket.destroy(), 1_000).unref();
  };
}

/**
 * Codes of a client that went away: reset, a broken pipe, or its half of the connection closed
 * in the middle of a request (llhttp's invalid EOF state).
 */
const VANISHED = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** The status of a refusal, or undefined when the client is already gone. */
function statusFor(error: ClientError): number | undefined {
  if (error.code !== undefined && VANISHED.has(error.code)) return undefined;
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADERS_TIMEOUT') {
    return 408;
  }

  return 400;
}

/** Timeouts and vanished clients are routine; a request we could not parse is worth a look. */
function logFor(logger: ClientErrorLogger, status: number | undefined) {
  return status === 400 || status === 431 ? logger.warn.bind(logger) : logger.debug.bind(logger);
}

function messageFor(status: number, error: ClientError): string {
  if (status === 431) return 'the request headers are larger than the server accepts';
  if (status === 408) return 'the request was not received in time';

  return error.reason ? `malformed HTTP request: ${error.reason}` : 'malformed HTTP request';
}

function rawResponse(status: number, message: string): string {
  const error = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({ statusCode: status, error, message });

  return (
    `HTTP/1.1 ${status} ${error}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n' +
    '\r\n' +
    body
  );
}
