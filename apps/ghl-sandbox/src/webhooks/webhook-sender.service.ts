import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

import { SANDBOX_CONFIG } from '../config/sandbox-config.token';
import { SandboxConfig } from '../config/sandbox.config';
import { StatsService } from '../control/stats.service';
import { SigningMode, WebhookSigner } from './webhook-signer.service';

export interface WebhookDelivery {
  type: string;
  webhookId: string;
  /** The receiver's HTTP status; 0 when it could not be reached, null when no target is set. */
  status: number | null;
}

const DELIVERY_TIMEOUT_MS = 10_000;
const RECENT_DELIVERIES = 200;

/** POSTs webhooks to the configured target, signed over the exact bytes it sends. */
@Injectable()
export class WebhookSender {
  private readonly logger = new Logger(WebhookSender.name);
  private target: string | undefined;
  private readonly recent: Array<WebhookDelivery & { at: string }> = [];

  constructor(
    @Inject(SANDBOX_CONFIG) config: SandboxConfig,
    private readonly signer: WebhookSigner,
    private readonly stats: StatsService,
  ) {
    this.target = config.SANDBOX_WEBHOOK_URL;
  }

  get targetUrl(): string | undefined {
    return this.target;
  }

  setTarget(url: string | undefined): void {
    this.target = url;
  }

  deliveries() {
    return [...this.recent];
  }

  /**
   * Adds `webhookId` and `timestamp` (as GHL's marketplace webhooks carry) unless the payload
   * already has them, then delivers it.
   */
  async send(
    payload: Record<string, unknown>,
    signing: SigningMode = 'both',
  ): Promise<WebhookDelivery> {
    const event = {
      ...payload,
      webhookId: payload.webhookId ?? randomUUID(),
      timestamp: payload.timestamp ?? new Date().toISOString(),
    };

    return this.deliver(event, signing);
  }

  /** Delivers a body exactly as given (no fields added). */
  async deliver(body: Record<string, unknown>, signing: SigningMode): Promise<WebhookDelivery> {
    const type = String(body.type ?? 'unknown');
    const webhookId = String(body.webhookId ?? '');
    const delivery: WebhookDelivery = { type, webhookId, status: null };
    if (!this.target) return this.remember(delivery);

    const bytes = Buffer.from(JSON.stringify(body));
    try {
      const response = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.signer.headers(bytes, signing) },
        body: bytes,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      delivery.status = response.status;
    } catch (error) {
      delivery.status = 0;
      this.logger.warn({ webhookId, error: (error as Error).message }, 'webhook not delivered');
    }
    this.stats.recordWebhook(delivery.status >= 200 && delivery.status < 300);

    return this.remember(delivery);
  }

  private remember(delivery: WebhookDelivery): WebhookDelivery {
    this.recent.push({ ...delivery, at: new Date().toISOString() });
    if (this.recent.length > RECENT_DELIVERIES) this.recent.shift();

    return delivery;
  }
}
