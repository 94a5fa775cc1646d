import { z } from 'zod';

import { databaseEnv } from './database-env';
import { emptyIsUnset, milliseconds, oneOf, port, positiveInt } from './env-fields';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** A pino level. */
export const logLevel = (fallback: LogLevel) => oneOf(LOG_LEVELS, fallback);

/**
 * The variables every service shares: where Postgres and Redis are, how long to wait on Postgres,
 * and how to log.
 */
export const sharedEnv = {
  DATABASE_URL: urlWithScheme(
    ['postgres', 'postgresql'],
    'postgres://postgres@127.0.0.1:5432/solarmarket',
  ),
  ...databaseEnv,
  REDIS_URL: redisUrl(),
  /** Prefix of every BullMQ key; lets several stacks (or test runs) share one Redis. */
  QUEUE_PREFIX: emptyIsUnset(
    z
      .string()
      .regex(/^[a-z0-9-]+$/, { message: 'must be lower-case letters, digits and dashes' })
      .default('sm'),
  ),
  LOG_LEVEL: logLevel('info'),
  HOST: emptyIsUnset(z.string().default('0.0.0.0')),
  /**
   * After SIGTERM or SIGINT, how long the graceful shutdown may take before the process ends
   * anyway (ms): inside the pod's grace period, so that the log says what did not close.
   */
  SHUTDOWN_TIMEOUT_MS: milliseconds(25_000),
};

/**
 * A redis:// URL whose path, if any, is a database number (`/3`): ioredis reads `/abc` as no
 * database at all and uses 0, without a word.
 */
function redisUrl() {
  return urlWithScheme(['redis', 'rediss'], 'redis://127.0.0.1:6379').refine(
    (value) => /^\/?(\d+)?$/.test(new URL(value).pathname),
    { message: 'its path must be a database number, as in redis://host:6379/0' },
  );
}

/** A URL whose scheme names the server it points at (a typo there fails at boot, not later). */
function urlWithScheme(schemes: string[], fallback: string) {
  const allowed = schemes.map((scheme) => `${scheme}://`);

  return emptyIsUnset(
    z
      .url({ message: 'must be a URL' })
      .refine((value) => allowed.some((prefix) => value.startsWith(prefix)), {
        message: `must start with ${allowed.join(' or ')}`,
      })
      .default(fallback),
  );
}

/**
 * `WEBHOOK_INBOX_RETENTION_DAYS`, read by the ingress (which prunes the inbox) and the sync worker
 * (whose nightly run reads the inbox): set both alike. Ten years at most: Postgres' dates end.
 */
export const inboxRetentionDays = () => positiveInt(30, 3_650);

export const sharedEnvSchema = z.object(sharedEnv);
export type SharedConfig = z.infer<typeof sharedEnvSchema>;

export const httpPort = port;
