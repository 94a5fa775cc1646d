import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The envelope's recipients, as the server was told them. */
  to: string[];
  /** The login the client authenticated with. */
  user: string | undefined;
  parsed: ParsedMail;
}

/** An SMTP reply code to refuse a message with, or null to accept it. */
export type MailResponder = (attempt: number) => number | null;

/**
 * A real SMTP server on loopback that requires a login (credentials generated per run) and keeps
 * every message it accepts, parsed. A recipient's responder can refuse its messages with a reply
 * code, the way a busy (4xx) or refusing (5xx) server does: the whole message after DATA
 * (`respond`), or that recipient alone at RCPT TO (`respondAtRcpt`), the others taking it.
 */
export class SmtpInbox {
  readonly user = 'notifier';
  readonly password = randomBytes(12).toString('hex');
  readonly received: ReceivedMail[] = [];
  private readonly responders = new Map<string, MailResponder>();
  private readonly attempts = new Map<string, number>();
  private readonly rcptResponders = new Map<string, MailResponder>();
  private readonly rcptAttempts = new Map<string, number>();
  private readonly server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth: (auth, _session, callback) => {
      const isValid = auth.username === this.user && auth.password === this.password;
      callback(isValid ? null : new Error('Invalid login'), isValid ? { user: auth.username } : {});
    },
    onRcptTo: (address, _session, callback) => {
      const attempt = this.rcptAttemptsFor(address.address) + 1;
      this.rcptAttempts.set(address.address, attempt);
      const refusal = this.rcptResponders.get(address.address)?.(attempt) ?? null;
      if (refusal === null) {
        callback();

        return;
      }
      callback(
        Object.assign(new Error('Recipient refused by the test inbox'), { responseCode: refusal }),
      );
    },
    onData: (stream, session, callback) => {
      const to = session.envelope.rcptTo.map((address) => address.address);
      void simpleParser(stream).then((parsed) => {
        const refusal = this.refusalFor(to);
        if (refusal !== null) {
          callback(
            Object.assign(new Error('Refused by the test inbox'), { responseCode: refusal }),
          );

          return;
        }
        this.received.push({ to, user: session.user as string | undefined, parsed });
        callback();
      }, callback);
    },
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));

    return this;
  }

  /** `smtp://user:password@127.0.0.1:<port>`, for NOTIFY_SMTP_URL. */
  url(): string {
    const { port } = this.server.server.address() as AddressInfo;

    return `smtp://${this.user}:${this.password}@127.0.0.1:${port}`;
  }

  respond(recipient: string, responder: MailResponder): void {
    this.responders.set(recipient, responder);
  }

  respondAtRcpt(recipient: string, responder: MailResponder): void {
    this.rcptResponders.set(recipient, responder);
  }

  /** RCPT TO commands naming a recipient, taken or refused. */
  rcptAttemptsFor(recipient: string): number {
    return this.rcptAttempts.get(recipient) ?? 0;
  }

  /** Messages accepted for a recipient. */
  mailTo(recipient: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(recipient));
  }

  /** Messages offered for a recipient, accepted or refused. */
  attemptsFor(recipient: string): number {
    return this.attempts.get(recipient) ?? 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private refusalFor(recipients: string[]): number | null {
    let refusal: number | null = null;
    for (const recipient of recipients) {
      const attempt = this.attemptsFor(recipient) + 1;
      this.attempts.set(recipient, attempt);
      refusal = refusal ?? this.responders.get(recipient)?.(attempt) ?? null;
    }

    return refusal;
  }
}
