import type { IncomingMessage } from 'node:http';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { DeliveryStatus } from '@sm/entities';
import { RequestAbortedError, storableJson, storableText } from '@sm/platform';

import { INGRESS_CONFIG, WebhookIngressConfig } from '../config/webhook-ingress.config';
import { SignatureScheme } from '../config/webhook-public-keys';
import { dedupeKeyOf } from './events/dedupe-key';
import { assertFresh } from './events/delivery-freshness';
import { GhlDelivery, readDelivery } from './events/ghl-delivery';
import {
  NewInboxRow,
  WebhookInboxRepository,
  isDataError,
  sqlStateOf,
} from './inbox/webhook-inbox.repository';
import { WebhookDispatcher } from './queueing/webhook-dispatcher.service';
import { assertJsonContentType, readRawBody } from './request-body';
import { WebhookSignatureService } from './signatures/webhook-signature.service';
import { WebhookRefusal } from './webhook-refusal';

export interface WebhookAnswer {
  statusCode: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * The ingress' one job: a genuine delivery is recorded exactly once, and only then
 * acknowledged. Every step before the insert is a refusal that leaves nothing behind; after it,
 * the answer is 200 whatever Redis does, because the inbox row is durable and the sweeper
 * enqueues what Redis missed. Our own trouble is answered 429, never 5xx: 429 is the one status
 * every GHL retry policy has retried.
 */
@Injectable()
export class WebhookReceiverService {
  private readonly logger = new Logger(WebhookReceiverService.name);
  private readonly ignoredByType = new Map<string, number>();

  constructor(
    @Inject(INGRESS_CONFIG) private readonly config: WebhookIngressConfig,
    private readonly signatures: WebhookSignatureService,
    private readonly inbox: WebhookInboxRepository,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /** The answer to send; undefined when the client went away before its body arrived. */
  async receive(request: IncomingMessage): Promise<WebhookAnswer | undefined> {
    try {
      return await this.accept(request);
    } catch (error) {
      return this.answerFailure(error);
    }
  }

  private async accept(request: IncomingMessage): Promise<WebhookAnswer> {
    assertJsonContentType(request.headers['content-type']);
    const body = await readRawBody(request, this.config.WEBHOOK_MAX_BODY_BYTES);
    const scheme = await this.signatures.verify(body, request.headers);

    const text = body.toString('utf8');
    const payload = parseJson(text);
    const delivery = readDelivery(payload);
    assertFresh(delivery.timestamp, this.config.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS);

    // The signature was verified over the bytes as sent; the stored text differs from them only
    // where Postgres cannot hold a character (NUL, a lone surrogate), which becomes U+FFFD.
    const row = inboxRowOf(delivery, body, storableJson(text), scheme);
    const inboxId = await this.record(row);
    if (inboxId === undefined) {
      this.logger.debug(fieldsOf(delivery), 'duplicate webhook delivery acknowledged');

      return { statusCode: 200, body: { status: 'duplicate' } };
    }

    this.afterRecording(delivery, inboxId, row.status);

    return { statusCode: 200, body: { status: 'accepted', id: inboxId } };
  }

  private async record(row: NewInboxRow): Promise<string | undefined> {
    try {
      // Answered within RECORD_TIMEOUT_MS: past it, 429 (GHL retries; a late commit makes the
      // retry a duplicate).
      return await this.inbox.record(row);
    } catch (error) {
      const code = sqlStateOf(error);
      if (isDataError(error)) {
        this.logger.error({ code, eventType: row.eventType }, 'signed webhook delivery unstorable');
        throw new WebhookRefusal(400, 'unstorable_payload', 'the body cannot be stored as JSON');
      }
      this.logger.error({ code, eventType: row.eventType }, 'webhook inbox unavailable');
      throw new WebhookRefusal(429, 'inbox_unavailable', 'the delivery could not be recorded');
    }
  }

  private afterRecording(delivery: GhlDelivery, inboxId: string, status: DeliveryStatus): void {
    const fields = { ...fieldsOf(delivery), inboxId };
    if (delivery.deviations.length > 0) {
      const deviations = delivery.deviations;
      this.logger.warn(
        { ...fields, deviations },
        'webhook payload differs from the documented shape',
      );
    }

    if (status === DeliveryStatus.Ignored) {
      const seen = (this.ignoredByType.get(delivery.eventType) ?? 0) + 1;
      this.ignoredByType.set(delivery.eventType, seen);
      this.logger.log({ ...fields, seen }, 'webhook event type not handled; recorded as ignored');

      return;
    }
    if (status === DeliveryStatus.Failed) {
      const problem = delivery.unroutable;
      this.logger.warn(
        { ...fields, problem },
        'webhook delivery cannot be routed; recorded as failed',
      );

      return;
    }

    this.logger.debug(fields, 'webhook delivery accepted');
    const pending = { inboxId, ...fieldsOf(delivery), companyId: delivery.companyId };
    // The answer never waits on Redis: the row is durable and the sweeper retries what fails.
    void this.dispatcher.dispatch(pending).then((isQueued) => {
      if (!isQueued) this.logger.debug(fields, 'webhook delivery left for the sweeper');
    });
  }

  private answerFailure(error: unknown): WebhookAnswer | undefined {
    if (error instanceof RequestAbortedError) return undefined;

    if (error instanceof WebhookRefusal) {
      if (error.statusCode !== 429) {
        this.logger.warn(
          { reason: error.reason, detail: error.message },
          'webhook delivery refused',
        );
      }

      return refusalAnswer(error);
    }

    this.logger.error({ err: error }, 'webhook delivery failed unexpectedly');

    return refusalAnswer(
      new WebhookRefusal(429, 'inbox_unavailable', 'the delivery could not be recorded'),
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new WebhookRefusal(400, 'malformed_json', 'the body is not valid JSON');
  }
}

function inboxRowOf(
  delivery: GhlDelivery,
  body: Buffer,
  payloadJson: string,
  scheme: SignatureScheme,
): NewInboxRow {
  const status = !delivery.route
    ? DeliveryStatus.Ignored
    : delivery.unroutable
      ? DeliveryStatus.Failed
      : DeliveryStatus.Received;

  return {
    dedupeKey: dedupeKeyOf(delivery, body),
    webhookId: delivery.webhookId,
    eventType: delivery.eventType,
    locationId: delivery.locationId,
    payloadJson,
    signatureScheme: scheme,
    status,
    error:
      status === DeliveryStatus.Failed ? storableText(`unroutable: ${delivery.unroutable}`) : null,
  };
}

function fieldsOf(delivery: GhlDelivery) {
  return {
    webhookId: delivery.webhookId,
    locationId: delivery.locationId,
    eventType: delivery.eventType,
  };
}

function refusalAnswer(refusal: WebhookRefusal): WebhookAnswer {
  return {
    statusCode: refusal.statusCode,
    body: { statusCode: refusal.statusCode, error: refusal.reason, message: refusal.message },
    headers: refusal.statusCode === 429 ? { 'retry-after': '60' } : undefined,
  };
}
