import { z } from 'zod';

import { inboxRetentionDays, MAX_TIMER_MS, port, positiveInt, sharedEnv } from '@sm/config';

import { publicKeyFiles } from './webhook-public-keys';

/** GHL's published keys (vendored): the production default. */
export const GHL_ED25519_KEY_FILE = 'vendor/ghl/keys/ghl-webhook-ed25519-x-ghl-signature.pem';
export const GHL_RSA_KEY_FILE = 'vendor/ghl/keys/ghl-webhook-rsa-x-wh-signature.pem';

export const webhookIngressConfigSchema = z
  .object({
    ...sharedEnv,
    PORT: port(3002),
    /** PEM files of the Ed25519 keys that may sign `x-ghl-signature`. */
    WEBHOOK_ED25519_PUBLIC_KEY_FILES: publicKeyFiles('ed25519', GHL_ED25519_KEY_FILE),
    /** PEM files of the RSA keys that may sign `x-wh-signature`; empty turns the scheme off. */
    WEBHOOK_RSA_PUBLIC_KEY_FILES: publicKeyFiles('rsa-sha256', GHL_RSA_KEY_FILE),
    /** A delivery whose `timestamp` is further than this from our clock is a replay. */
    WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: positiveInt(300),
    /** Bodies above this size are refused with 413 before they are read in full. */
    WEBHOOK_MAX_BODY_BYTES: positiveInt(1024 * 1024),
    /** How often the sweeper looks for recorded deliveries that never reached a queue (a timer). */
    WEBHOOK_SWEEP_INTERVAL_SECONDS: positiveInt(
      60,
      Math.floor(MAX_TIMER_MS / 1000),
      'the longest timer Node holds, ~24.8 days',
    ),
    /** How old a still-`received` delivery must be before the sweeper enqueues it again. */
    WEBHOOK_SWEEP_AGE_SECONDS: positiveInt(120),
    /**
     * Days a `processed` or `ignored` delivery is kept in the inbox (`failed` and `received` ones
     * are kept until someone acts). Must outlast the longest gap between two successful nightly
     * reconciliations, which read the contacts named by deliveries since the last one.
     */
    WEBHOOK_INBOX_RETENTION_DAYS: inboxRetentionDays(),
    /** How often, at most, one process deletes deliveries past their retention. */
    WEBHOOK_INBOX_PRUNE_INTERVAL_SECONDS: positiveInt(3600),
  })
  .superRefine((config, ctx) => {
    const keyCount =
      config.WEBHOOK_ED25519_PUBLIC_KEY_FILES.length + config.WEBHOOK_RSA_PUBLIC_KEY_FILES.length;
    if (keyCount === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_ED25519_PUBLIC_KEY_FILES'],
        message: 'no webhook public key configured for either signature scheme',
      });
    }
  });

export type WebhookIngressConfig = z.infer<typeof webhookIngressConfigSchema>;

/** Injection token of the validated configuration. */
export const INGRESS_CONFIG = Symbol('INGRESS_CONFIG');
