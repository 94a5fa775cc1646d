import type { IncomingMessage } from 'node:http';

import { WebhookRefusal } from './webhook-refusal';

/** The client went away before its body arrived: there is nobody left to answer. */
export class RequestAborted extends Error {}

/**
 * GHL posts `application/json`. A charset parameter, when given, must be UTF-8: the signature
 * is over bytes, and the body is read as UTF-8.
 */
export function assertJsonContentType(header: string | undefined): void {
  const [mediaType = '', ...parameters] = (header ?? '').split(';');
  const isJson = mediaType.trim().toLowerCase() === 'application/json';
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith('charset='));
  const isUtf8 = charset === undefined || /^charset="?utf-?8"?$/.test(charset);
  if (!isJson || !isUtf8) {
    throw new WebhookRefusal(
      415,
      'unsupported_media_type',
      'content-type must be application/json',
    );
  }
}

/**
 * Reads the exact bytes of the body, at most `maxBytes`. A declared length over the limit is
 * refused before anything is read; a chunked body is refused as soon as it crosses the limit,
 * and the rest is drained unread so that the answer still reaches the client.
 */
export function readRawBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new WebhookRefusal(413, 'payload_too_large', `the body exceeds ${maxBytes} bytes`);
  if (Number(request.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());

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
      reject(tooLarge());
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      stop();
      reject(new RequestAborted('the request was aborted'));
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onAbort);
    request.once('close', onAbort);
  });
}
