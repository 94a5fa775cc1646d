import type { NotificationAudience, NotificationMessage } from '../messages/notification-message';

/**
 * One way of carrying a message: a Slack-compatible incoming webhook, email over SMTP, or an
 * HMAC-signed HTTP webhook for internal services.
 *
 * Each channel gets its own delivery queue, so its rate limit and its outages never hold back
 * another channel. A channel only sends: retries, dedupe and bookkeeping live in the delivery
 * service, the same for every channel.
 */
export interface NotificationChannel {
  /** Stored in `notifications.channel` and part of the delivery queue's name: `[a-z-]+`. */
  readonly id: string;

  /**
   * Sends one message. Resolves once the far end has accepted it; throws a `DeliveryError`
   * otherwise. `destination` is what the route names (a webhook URL, an address): a secret that
   * must never reach a log or an error message.
   */
  send(notification: OutgoingNotification, destination: string): Promise<DeliveryReceipt | void>;

  /** Releases what the channel holds open (an SMTP pool), at shutdown. */
  close?(): Promise<void> | void;
}

/** What a channel can tell of a send that resolved. */
export interface DeliveryReceipt {
  /** E-mail: the recipients this send went to, every one of which took it. */
  acceptedRecipients?: string[];
}

/** What a channel is handed to send: the stored message and the row's identity. */
export interface OutgoingNotification {
  /** The notification's id: stable across retries, so a receiver can drop a repeat. */
  id: string;
  kind: string;
  audience: NotificationAudience;
  locationId: string | null;
  message: NotificationMessage;
  /**
   * E-mail: recipients an earlier try settled (they took the message, or refused it for good);
   * they are not sent it again. Unset: none.
   */
  settledRecipients?: string[];
}

/** One of the places an audience's messages go: which channel, and the channel's destination. */
export interface ChannelRoute {
  channel: string;
  /** A webhook URL, or comma-separated email addresses. */
  destination: string;
}

/** Injection token for the list of every channel the service can deliver through. */
export const NOTIFICATION_CHANNELS = Symbol('NOTIFICATION_CHANNELS');
