import { createHmac } from 'node:crypto';

import { postOnce } from './http-post';
import type { NotificationChannel, OutgoingNotification } from './notification-channel';

export const SIGNED_WEBHOOK_CHANNEL_ID = 'webhook';

/** Unix time in seconds at which the body was signed. */
export const TIMESTAMP_HEADER = 'x-solarmarket-timestamp';
/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed with NOTIFY_WEBHOOK_SIGNING_SECRET. */
export const SIGNATURE_HEADER = 'x-solarmarket-signature';
/** The notification's id: the same on every retry, so a receiver can drop a repeat. */
export const NOTIFICATION_ID_HEADER = 'x-solarmarket-notification-id';

/** The JSON a receiver gets. Version 1; fields are only ever added. */
export interface SignedWebhookBody {
  version: 1;
  notificationId: string;
  kind: string;
  audience: string;
  locationId: string | null;
  summary: string;
  fields: Array<{ label: string; value: string }>;
  refs: Record<string, string | null>;
  sentAt: string;
}

/**
 * A generic HTTP webhook for internal services. The body is signed as the exact bytes sent,
 * prefixed with the timestamp, so a receiver can reject a forged body and a replayed old one;
 * the receiver's side is described in the service's README.
 */
export class SignedWebhookChannel implements NotificationChannel {
  readonly id = SIGNED_WEBHOOK_CHANNEL_ID;

  constructor(
    private readonly settings: { signingSecret: string; requestTimeoutMs: number },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(notification: OutgoingNotification, destination: string): Promise<void> {
    const sentAt = this.now();
    const body = JSON.stringify(signedWebhookBody(notification, sentAt));
    const timestamp = String(Math.floor(sentAt.getTime() / 1_000));

    await postOnce(destination, {
      body,
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhookBody(this.settings.signingSecret, timestamp, body),
        [NOTIFICATION_ID_HEADER]: notification.id,
      },
      timeoutMs: this.settings.requestTimeoutMs,
    });
  }
}

export function signedWebhookBody(
  notification: OutgoingNotification,
  sentAt: Date,
): SignedWebhookBody {
  return {
    version: 1,
    notificationId: notification.id,
    kind: notification.kind,
    audience: notification.audience,
    locationId: notification.locationId,
    summary: notification.message.summary,
    fields: notification.message.fields,
    refs: notification.message.refs,
    sentAt: sentAt.toISOString(),
  };
}

/** The signature header's value for a body sent at `timestamp` (unix seconds, as a string). */
// TODO: one secret at a time; rotating it means receivers accept both keys for a while (they
// can: the signature names its scheme, `v1=`). Sending two signatures during a rotation is not
// built yet, so a rotation needs that overlap on the receiving side.
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

  return `v1=${digest}`;
}
