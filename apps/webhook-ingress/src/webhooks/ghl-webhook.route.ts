import type { IncomingMessage, ServerResponse } from 'node:http';

import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { HotRouteHandler, requestPath, serveAheadOfExpress, writeJson } from '@sm/platform';

import { WebhookAnswer, WebhookReceiverService } from './webhook-receiver.service';

/** The route GHL is configured to post to. */
export const GHL_WEBHOOK_PATH = '/webhooks/ghl';

/**
 * Serves `POST /webhooks/ghl` straight from node:http, ahead of Express and Nest. The route is
 * the ingress' hot path and the only one under load: Express' router, Nest's handler pipeline
 * and pino-http's line per request cost several times what the receiver itself does. Nothing
 * the route needs is lost: the app has no guards, pipes or body parser for it to skip, the
 * receiver logs every refusal with its reason (and every acceptance at debug, with its ids), and
 * the answer is written the same way as {@link GhlWebhookController}'s, which still serves any
 * spelling of the path this exact match leaves to Express (a trailing slash, upper case).
 *
 * Every other request (health, other routes, 404s) goes to Express as before.
 */
@Injectable()
export class GhlWebhookRoute implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly receiver: WebhookReceiverService,
  ) {}

  /** Runs before the app listens: the server exists, no request has reached it yet. */
  onApplicationBootstrap(): void {
    const serve: HotRouteHandler = (request, response) => void this.serve(request, response);
    serveAheadOfExpress(this.adapterHost.httpAdapter.getHttpServer(), (request) =>
      request.method === 'POST' && requestPath(request) === GHL_WEBHOOK_PATH ? serve : undefined,
    );
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const answer = await this.receiver.receive(request);
    if (answer) writeAnswer(response, answer);
  }
}

/** The answer as JSON; nothing when the response is already on its way (or the client gone). */
export function writeAnswer(response: ServerResponse, answer: WebhookAnswer): void {
  writeJson(response, answer.statusCode, answer.body, answer.headers);
}
