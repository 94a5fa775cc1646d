import { z } from 'zod';

import { milliseconds, optional, port, positiveInt, sharedEnv } from '@sm/config';

import {
  ChannelSet,
  emailAddress,
  emailSender,
  everyChannelSet,
  teamRoutes,
  webhookUrl,
} from './team-routes';

/** Comma-separated email addresses. Unset or empty: none. */
const emailRecipients = () =>
  z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .pipe(z.array(emailAddress()))
    .transform((addresses) => (addresses.length > 0 ? addresses : undefined));

/**
 * `smtp://user:password@host:587` (STARTTLS when the server offers it; add `?requireTLS=true` to
 * insist) or `smtps://…:465`. It holds the SMTP credentials: a secret, never printed.
 */
const smtpUrl = () =>
  z.url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL' });

export const notificationServiceEnv = z
  .object({
    ...sharedEnv,
    PORT: port(3004),
    /** The team channel of every location without its own route. Unset: no team notices. */
    NOTIFY_TEAM_SLACK_WEBHOOK_URL: optional(webhookUrl()),
    /** Team email recipients of every location without its own route. */
    NOTIFY_TEAM_EMAIL_TO: emailRecipients(),
    /** The signed internal webhook of every location without its own route. */
    NOTIFY_TEAM_SIGNED_WEBHOOK_URL: optional(webhookUrl()),
    /** The admin channel. No admin channel at all: admin alerts are logged at error level. */
    NOTIFY_ADMIN_SLACK_WEBHOOK_URL: optional(webhookUrl()),
    NOTIFY_ADMIN_EMAIL_TO: emailRecipients(),
    NOTIFY_ADMIN_SIGNED_WEBHOOK_URL: optional(webhookUrl()),
    /** Per-location (and per-team) routes; see team-routes.ts for the shape. */
    NOTIFY_TEAM_ROUTES: teamRoutes(),
    /** The SMTP server of the email channel. Unset: no email channel. */
    NOTIFY_SMTP_URL: optional(smtpUrl()),
    /** The From of every email: an address, or a name and one (`SolarMarket <notices@…>`). */
    NOTIFY_EMAIL_FROM: optional(emailSender()),
    /** Key of the HMAC-SHA256 signature on signed webhooks. Unset: no signed-webhook channel. */
    NOTIFY_WEBHOOK_SIGNING_SECRET: optional(
      z.string().min(32, { message: 'must be at least 32 characters' }),
    ),
    /** Tries per message, the first included, before it is marked failed and an admin is told. */
    NOTIFY_DELIVERY_ATTEMPTS: positiveInt(5),
    /** First retry delay (ms); each later one doubles it. */
    NOTIFY_BACKOFF_MS: milliseconds(2_000),
    /** Messages per minute, per channel, across every replica. */
    NOTIFY_RATE_PER_MINUTE: positiveInt(60),
    /** How long one delivery request (or SMTP step) may take (ms) before it counts as failed. */
    NOTIFY_REQUEST_TIMEOUT_MS: milliseconds(10_000),
  })
  .superRefine((config, context) => {
    const channelSets: ChannelSet[] = [
      {
        email: config.NOTIFY_TEAM_EMAIL_TO,
        webhook: config.NOTIFY_TEAM_SIGNED_WEBHOOK_URL,
      },
      {
        email: config.NOTIFY_ADMIN_EMAIL_TO,
        webhook: config.NOTIFY_ADMIN_SIGNED_WEBHOOK_URL,
      },
      ...everyChannelSet(config.NOTIFY_TEAM_ROUTES),
    ];
    const routesEmail = channelSets.some((set) => set.email !== undefined);
    const routesSignedWebhook = channelSets.some((set) => set.webhook !== undefined);

    if (routesEmail && !config.NOTIFY_SMTP_URL) {
      context.addIssue({ code: 'custom', path: ['NOTIFY_SMTP_URL'], message: needed('email') });
    }
    if (routesEmail && !config.NOTIFY_EMAIL_FROM) {
      context.addIssue({ code: 'custom', path: ['NOTIFY_EMAIL_FROM'], message: needed('email') });
    }
    if (routesSignedWebhook && !config.NOTIFY_WEBHOOK_SIGNING_SECRET) {
      context.addIssue({
        code: 'custom',
        path: ['NOTIFY_WEBHOOK_SIGNING_SECRET'],
        message: needed('a signed webhook'),
      });
    }
  });

function needed(what: string): string {
  return `is required when a route sends ${what}`;
}

export type NotificationServiceConfig = z.infer<typeof notificationServiceEnv>;

/** Injection token of the validated configuration. */
export const NOTIFICATION_SERVICE_CONFIG = Symbol('NOTIFICATION_SERVICE_CONFIG');
