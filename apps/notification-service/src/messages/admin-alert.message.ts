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
  const { kind, locationId, keyId } = alert;
  // Only an unreadable-token alert names a key id (of the auth service's key ring).
  const hasKeyId = keyId !== undefined;

  return {
    summary: `[${kind}] ${alert.summary}`,
    fields: [
      { label: 'Alert', value: kind },
      { label: 'Location', value: locationId ?? 'none' },
      ...(hasKeyId ? [{ label: 'Key id', value: keyId }] : []),
    ],
    refs: hasKeyId ? { locationId, keyId } : { locationId },
  };
}
