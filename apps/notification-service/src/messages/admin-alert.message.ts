import type { AdminAlertJob } from '@sm/queues';

import type { NotificationMessage } from './notification-message';

/**
 * Admin alerts share the notifications table with team notices, so their event keys get a
 * prefix of their own; `channelDedupeKey` adds the channel and keeps the whole within the column.
 */
export function adminAlertEventKey(producerKey: string): string {
  return `admin-alert:${producerKey}`;
}

export function adminAlertMessage(alert: AdminAlertJob): NotificationMessage {
  return {
    summary: `[${alert.kind}] ${alert.summary}`,
    fields: [
      { label: 'Alert', value: alert.kind },
      { label: 'Location', value: alert.locationId ?? 'none' },
    ],
    refs: { locationId: alert.locationId },
  };
}
