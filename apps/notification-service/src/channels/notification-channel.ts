import type { NotificationMessage } from '../messages/notification-message';

/**
 * One way of carrying a message: a Slack-compatible incoming webhook today; email over SMTP and
 * an HMAC-signed HTTP webhook are meant to follow as further implementations.
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
  send(message: NotificationMessage, destination: string): Promise<void>;
}

/** Where one audience's messages go: which channel, and the channel's destination. */
export interface ChannelRoute {
  channel: string;
  destination: string;
}

/** Injection token for the list of every channel the service can deliver through. */
export const NOTIFICATION_CHANNELS = Symbol('NOTIFICATION_CHANNELS');
