import { createTransport, Transporter } from 'nodemailer';

import type { NotificationMessage } from '../messages/notification-message';

import { deliveryErrorForRefusals, deliveryErrorForSmtp } from './delivery-error';
import type {
  DeliveryReceipt,
  NotificationChannel,
  OutgoingNotification,
} from './notification-channel';

export const EMAIL_CHANNEL_ID = 'email';

/** Long enough for any summary a renderer writes; mail clients cut far shorter anyway. */
const SUBJECT_LIMIT = 200;

export interface EmailSettings {
  /** `smtp://user:password@host:port` or `smtps://…`; a secret. */
  smtpUrl: string;
  from: string;
  requestTimeoutMs: number;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * Email over SMTP (nodemailer). The destination is the comma-separated recipients; every
 * recipient gets the one message. Its Message-ID is derived from the notification's id, so a
 * retry after a lost reply carries the same id and mail systems can tell it is a repeat.
 *
 * A server may take a message for some recipients and refuse it for others (RCPT TO): nodemailer
 * then resolves, naming the refused ones. That is no delivery: it throws a
 * `RecipientsRefusedError`, and a retry is sent only to the recipients not settled yet.
 */
export class EmailChannel implements NotificationChannel {
  readonly id = EMAIL_CHANNEL_ID;
  private readonly transport: Transporter;

  constructor(private readonly settings: EmailSettings) {
    this.transport = createTransport({
      url: settings.smtpUrl,
      connectionTimeout: settings.requestTimeoutMs,
      greetingTimeout: settings.requestTimeoutMs,
      socketTimeout: settings.requestTimeoutMs,
    });
  }

  async send(notification: OutgoingNotification, destination: string): Promise<DeliveryReceipt> {
    const recipients = unsettled(destination.split(','), notification.settledRecipients ?? []);
    // Earlier tries settled every one (the row was not marked after the last of them): done.
    if (recipients.length === 0) return { acceptedRecipients: [] };

    const email = renderEmail(notification.message);
    let refusals: unknown[];
    try {
      const sent = await this.transport.sendMail({
        from: this.settings.from,
        to: recipients,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: `<${notification.id}@notification-service.solarmarket>`,
        headers: { 'X-SolarMarket-Kind': notification.kind },
      });
      refusals = refusalsOf(sent);
    } catch (error) {
      // Every recipient refused at RCPT TO: the error lists each refusal, as a partial send does.
      throw deliveryErrorForRefusals(recipients, refusalsOf(error)) ?? deliveryErrorForSmtp(error);
    }

    const refused = deliveryErrorForRefusals(recipients, refusals);
    if (refused) throw refused;

    return { acceptedRecipients: recipients };
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * nodemailer's refusals of single recipients, on a result or an error: `rejectedErrors` (with the
 * reply of each), or only the `rejected` addresses when it has no replies to give.
 */
function refusalsOf(outcome: unknown): unknown[] {
  const { rejected, rejectedErrors } = (outcome ?? {}) as {
    rejected?: unknown;
    rejectedErrors?: unknown;
  };
  if (Array.isArray(rejectedErrors) && rejectedErrors.length > 0) return rejectedErrors;

  return Array.isArray(rejected) ? rejected.map((recipient) => ({ recipient })) : [];
}

/** The recipients an earlier try did not settle (mail addresses compare case-insensitively). */
function unsettled(recipients: string[], settled: string[]): string[] {
  const done = new Set(settled.map((address) => address.toLowerCase()));

  return recipients.filter((address) => !done.has(address.toLowerCase()));
}

/** The summary is the subject; the fields are a plain list in the text part, a table in HTML. */
export function renderEmail(message: NotificationMessage): RenderedEmail {
  const subject = oneLine(message.summary).slice(0, SUBJECT_LIMIT);
  const lines = message.fields.map((field) => `${field.label}: ${field.value}`);
  const rows = message.fields
    .map(
      (field) =>
        `<tr><th align="left">${escapeHtml(field.label)}</th>` +
        `<td>${escapeHtml(field.value)}</td></tr>`,
    )
    .join('');

  return {
    subject,
    text: [message.summary, '', ...lines, ''].join('\n'),
    html: `<p>${escapeHtml(message.summary)}</p><table>${rows}</table>`,
  };
}

/** Text from GHL records cannot add markup or a link to the HTML part. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A header holds one line: a title with a line break must not start a header of its own. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
