/**
 * Every queue of the platform, by name. These strings are contracts between producers and
 * processors in different apps: rename one only after the old queue has drained.
 */
export const QueueName = {
  /** webhook-ingress → sync-worker: a recorded GHL delivery to act on. */
  WebhookEvents: 'webhook-events',
  /** webhook-ingress → auth-service: app INSTALL / UNINSTALL deliveries. */
  ConnectionEvents: 'connection-events',
  /** sync-worker: fetch one contact and its tasks, notes and appointments. */
  ContactSync: 'contact-sync',
  /** auth-service, schedules → sync-worker: sync every contact of one location. */
  LocationSync: 'location-sync',
  /** auth-service: refresh a connection's access token before it expires. */
  TokenRefresh: 'token-refresh',
  /** sync-worker, auth-service → notification-service: team notices and admin alerts. */
  Notifications: 'notifications',
  /**
   * notification-service → itself: one message to send. One queue per channel,
   * `notification-delivery.<channel>`, so that each channel has its own rate limit.
   */
  NotificationDelivery: 'notification-delivery',
  /** sync-worker → itself: reminder timers (delayed jobs) and the nightly stale-lead scan. */
  Automation: 'automation',
} as const;

export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/**
 * `sync-completed` is delivered to one queue per registered consumer, so that one slow or
 * broken consumer never holds back another.
 */
export function syncCompletedQueue(consumer: string): string {
  if (!/^[a-z0-9-]+$/.test(consumer)) {
    throw new Error(`sync-completed consumer names are lower-case words: ${consumer}`);
  }

  return `sync-completed.${consumer}`;
}
