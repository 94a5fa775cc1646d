import type { IncomingMessage } from 'node:http';

import { BodyTooLargeError, readBody } from '@sm/platform';

import { WebhookRefusal } from './webhook-refusal';

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
 * Reads the exact bytes of the body, at most `maxBytes`: over the limit, a 413 refusal. A client
 * that goes away first rejects with `RequestAbortedError`: there is nobody left to answer.
 */
export async function readRawBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  try {
    return await readBody(request, maxBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new WebhookRefusal(413, 'payload_too_large', error.message);
  }
}
