import type { IncomingMessage, ServerResponse } from 'node:http';

import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import {
  BodyTooLargeError,
  HotRouteHandler,
  RequestAbortedError,
  readBody,
  requestPath,
  serveAheadOfExpress,
  writeJson,
} from '@sm/platform';

import { forceRefreshOf, InvalidBodyError } from './access-token-request';
import { ServiceTokenGuard } from './service-token.guard';
import { tokenRefusal } from './token-errors';
import { TokenRefreshService } from './token-refresh.service';

/** `POST /internal/locations/:locationId/access-token`, for a GHL-shaped location id. */
const ACCESS_TOKEN_PATH = /^\/internal\/locations\/([A-Za-z0-9_-]{1,64})\/access-token$/;
/** The body is `{"forceRefresh": true}` at most. */
const MAX_BODY_BYTES = 1_024;

/**
 * Serves the internal token endpoint straight from node:http. It is the auth service's only hot
 * path: every sync worker asks it before its GHL calls, and when a token expires they all ask at
 * once. Served through Express and Nest, a request cost about a millisecond of CPU on top of the
 * shared token read; here it costs the check of the service credential and the JSON answer.
 *
 * The answers are those of {@link AccessTokenController}: 401 without the service credential,
 * 404, 409 or 503 for a connection that cannot hand out a token, 200 with the access token.
 */
@Injectable()
export class AccessTokenRoute implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccessTokenRoute.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: ServiceTokenGuard,
    private readonly tokens: TokenRefreshService,
  ) {}

  /** Runs before the app listens: the server exists, no request has reached it yet. */
  onApplicationBootstrap(): void {
    const serve: HotRouteHandler = (request, response) => void this.serve(request, response);
    serveAheadOfExpress(this.adapterHost.httpAdapter.getHttpServer(), (request) =>
      request.method === 'POST' && ACCESS_TOKEN_PATH.test(requestPath(request)) ? serve : undefined,
    );
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const locationId = ACCESS_TOKEN_PATH.exec(requestPath(request))?.[1] ?? '';
    if (!this.guard.isServiceCredential(request.headers.authorization)) {
      request.resume();
      return writeJson(response, 401, { error: 'unauthorized' });
    }

    try {
      const forceRefresh = await readForceRefresh(request);
      writeJson(response, 200, await this.tokens.accessToken(locationId, forceRefresh));
    } catch (error) {
      this.answerFailure(response, locationId, error);
    }
  }

  private answerFailure(response: ServerResponse, locationId: string, error: unknown): void {
    if (error instanceof RequestAbortedError) return;
    if (error instanceof BodyTooLargeError) {
      return writeJson(response, 413, { error: 'payload_too_large', message: error.message });
    }
    if (error instanceof InvalidBodyError) {
      return writeJson(response, 400, { error: 'invalid_body', message: error.message });
    }

    const refusal = tokenRefusal(error);
    if (refusal) return writeJson(response, refusal.statusCode, refusal.body);
    this.logger.error({ locationId, err: (error as Error).message }, 'token request failed');
    writeJson(response, 500, { error: 'internal_error' });
  }
}

/**
 * `forceRefresh` from a JSON body; an empty body, or one that is not JSON by type, asks none.
 * JSON that is neither an object nor an array is refused, as Express' JSON parser refuses it
 * for the controller; an array, another field or a `forceRefresh` that is not a boolean is
 * refused as the controller refuses it.
 */
async function readForceRefresh(request: IncomingMessage): Promise<boolean> {
  const body = await readBody(request, MAX_BODY_BYTES);
  const isJson = /^application\/json\b/i.test(request.headers['content-type'] ?? '');
  if (!isJson || body.length === 0) return false;

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidBodyError('the body is not valid JSON');
  }

  if (typeof parsed !== 'object' || parsed === null) {
    throw new InvalidBodyError('the body must be a JSON object');
  }

  return forceRefreshOf(parsed);
}
