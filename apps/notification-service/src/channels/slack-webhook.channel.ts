import type { NotificationMessage } from '../messages/notification-message';

import { postOnce } from './http-post';
import type { NotificationChannel, OutgoingNotification } from './notification-channel';

export const SLACK_CHANNEL_ID = 'slack';

/** Slack's limit on one section field's text. */
const FIELD_TEXT_LIMIT = 2_000;
/** Slack shows at most ten fields in one section. */
const FIELDS_PER_SECTION = 10;

export interface SlackWebhookBody {
  text: string;
  blocks: unknown[];
}

/**
 * A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat and others accept the
 * same `{ text, blocks }` JSON). `text` is the fallback that notifications and older clients
 * show; `blocks` lays the facts out.
 */
export class SlackWebhookChannel implements NotificationChannel {
  readonly id = SLACK_CHANNEL_ID;

  constructor(private readonly settings: { requestTimeoutMs: number }) {}

  async send(notification: OutgoingNotification, destination: string): Promise<void> {
    await postOnce(destination, {
      body: JSON.stringify(slackWebhookBody(notification.message)),
      headers: { 'content-type': 'application/json' },
      timeoutMs: this.settings.requestTimeoutMs,
    });
  }
}

export function slackWebhookBody(message: NotificationMessage): SlackWebhookBody {
  const fields = message.fields.slice(0, FIELDS_PER_SECTION).map((field) => ({
    type: 'mrkdwn',
    text: truncate(`*${escapeMrkdwn(field.label)}*\n${escapeMrkdwn(field.value)}`),
  }));
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(message.summary)) } },
  ];
  if (fields.length > 0) blocks.push({ type: 'section', fields });

  return { text: escapeMrkdwn(message.summary), blocks };
}

/**
 * Slack reads `<…>` as links and mentions (`<!channel>`, `<https://…|label>`): text that comes
 * from GHL records is escaped so that a task title cannot ping a channel or forge a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string): string {
  return text.length <= FIELD_TEXT_LIMIT ? text : `${text.slice(0, FIELD_TEXT_LIMIT - 1)}…`;
}
