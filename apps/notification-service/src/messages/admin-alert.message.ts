import { createHash } from 'node:crypto';

import type { AdminAlertJob } from '@sm/queues';

import type { NotificationMessage } from './notification-message';

const DEDUPE_KEY_LIMIT = 200;

/**
 * Admin alerts share the notifications table with team notices, so their keys get a prefix of
 * their own. A producer's key longer than the column is hashed rather than cut, so that two long
 * keys with one prefix stay two alerts.
 */
export function adminAlertDedupeKey(producerKey: string): string {
  const key = `admin-alert:${producerKey}`;
  if (key.length <= DEDUPE_KEY_LIMIT) return key;

  return `admin-alert:sha256:${createHash('sha256').update(producerKey).digest('hex')}`;
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
