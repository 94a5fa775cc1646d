import { createHash } from 'node:crypto';

/**
 * What a notification says, independent of the channel that carries it. It is rendered once,
 * when the notification is created, and stored on its row: every retry sends the same words,
 * and no queue payload carries personal data.
 */
export interface NotificationMessage {
  /** One line that stands on its own: a chat message's text, an email's subject. */
  summary: string;
  /** Labelled facts, in the order they are shown. */
  fields: NotificationField[];
  /** The ids the message is about, for machine consumers (a signed webhook). */
  refs: Record<string, string | null>;
}

export interface NotificationField {
  label: string;
  value: string;
}

/** Who a notification is for: a location's sales team, or the platform's operators. */
export type NotificationAudience = 'team' | 'admin';

export const NotificationStatus = {
  Pending: 'pending',
  Delivered: 'delivered',
  Failed: 'failed',
} as const;

export type NotificationStatus = (typeof NotificationStatus)[keyof typeof NotificationStatus];

/** The dedupe_key column's width. */
const DEDUPE_KEY_LIMIT = 200;

/**
 * One message per event and channel: the event's key (what makes the event unique) with the
 * channel's id. A key too long for the column is hashed rather than cut, so that two long keys
 * with one prefix stay two messages.
 */
// TODO: rows written before keys carried the channel have the bare event key, so an event
// redelivered across that upgrade is sent once more on Slack. Safe: it is one repeated notice per
// event at most, and only for events already in flight during the upgrade.
export function channelDedupeKey(eventKey: string, channel: string): string {
  const key = `${eventKey}:${channel}`;
  if (key.length <= DEDUPE_KEY_LIMIT) return key;

  return `sha256:${createHash('sha256').update(eventKey).digest('hex')}:${channel}`;
}
