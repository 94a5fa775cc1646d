import { z } from 'zod';

import { port, positiveInt, sharedEnv } from '@sm/config';

/**
 * An incoming-webhook URL. It is a secret (whoever holds it can post to the channel): problems
 * name the variable, never the value, and the URL is never logged.
 */
const webhookUrl = () => z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/**
 * `{ "<locationId>": "<team webhook URL>", … }` as JSON. A location without an entry uses
 * NOTIFY_TEAM_SLACK_WEBHOOK_URL.
 */
const teamRoutes = () =>
  z
    .string()
    .optional()
    .transform((value, context): Record<string, string> => {
      if (value === undefined || value.trim() === '') return {};
      try {
        return JSON.parse(value) as Record<string, string>;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON object' });

        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'keys must be location ids' }),
        webhookUrl(),
        { message: 'must map location ids to webhook URLs' },
      ),
    );

export const notificationServiceEnv = z.object({
  ...sharedEnv,
  PORT: port(3004),
  /** The team channel of every location without its own route. Unset: no team notices. */
  NOTIFY_TEAM_SLACK_WEBHOOK_URL: webhookUrl().optional(),
  /** The admin channel. Unset: admin alerts are logged at error level and not sent. */
  NOTIFY_ADMIN_SLACK_WEBHOOK_URL: webhookUrl().optional(),
  NOTIFY_TEAM_ROUTES: teamRoutes(),
  /** Tries per message, the first included, before it is marked failed and an admin is told. */
  NOTIFY_DELIVERY_ATTEMPTS: positiveInt(5),
  /** First retry delay (ms); each later one doubles it. */
  NOTIFY_BACKOFF_MS: positiveInt(2_000),
  /** Messages per minute, per channel, across every replica. */
  NOTIFY_RATE_PER_MINUTE: positiveInt(60),
  /** How long one delivery request may take (ms) before it counts as failed. */
  NOTIFY_REQUEST_TIMEOUT_MS: positiveInt(10_000),
});

export type NotificationServiceConfig = z.infer<typeof notificationServiceEnv>;

/** Injection token of the validated configuration. */
export const NOTIFICATION_SERVICE_CONFIG = Symbol('NOTIFICATION_SERVICE_CONFIG');
