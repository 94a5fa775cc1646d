import { z } from 'zod';

import {
  cronPattern,
  csv,
  emptyIsUnset,
  inboxRetentionDays,
  milliseconds,
  originUrl,
  port,
  positiveInt,
  secret,
  sharedEnv,
  timeZone,
  url,
} from '@sm/config';

import {
  AUTOMATION_CONSUMER,
  automationEnv,
  checkAutomationEnv,
} from '../automation/automation.config';
import { HEALTH_SCORE_CONSUMER } from '../health-score/health-score.consumer';
import { readApiKeysField } from '../read-api/read-api-keys';

/** Consumers inside this worker: always registered, whatever the environment lists. */
export const INTERNAL_SYNC_COMPLETED_CONSUMERS = [HEALTH_SCORE_CONSUMER, AUTOMATION_CONSUMER];

/**
 * Jobs or calls at once: more than this only waits, on the 10 Postgres connections of a process
 * or on GHL's burst limit of 100 requests per 10 s per location.
 */
const MAX_CONCURRENCY = 100;
const concurrency = (fallback: number) =>
  positiveInt(fallback, MAX_CONCURRENCY, 'more only waits for Postgres or GHL');

export const syncWorkerEnv = z
  .object({
    ...sharedEnv,
    ...automationEnv,
    PORT: port(3003),
    GHL_API_BASE_URL: url('https://services.leadconnectorhq.com'),
    /** Where the auth service's internal token endpoint lives: an origin, the path is ours. */
    AUTH_SERVICE_URL: originUrl('http://127.0.0.1:3001'),
    /** The bearer credential for the auth service's internal endpoint, and for our admin routes. */
    SERVICE_TOKEN: secret(32),
    /** Jobs one worker process runs at once, per queue. */
    SYNC_CONCURRENCY: concurrency(4),
    /** GHL calls in flight at once for the children (tasks, notes, appointments) of one sync. */
    CHILD_FETCH_CONCURRENCY: concurrency(6),
    /**
     * When the nightly sync fires, read in each location's own zone. The 01:00 firing covers the
     * dates whose midnight a DST switch skips (Santiago, Havana…); the per-date guard lets only the
     * first firing of a local date run.
     */
    NIGHTLY_SYNC_CRON: cronPattern('0 0,1 * * *'),
    /** When each location's tasks are swept for edits GHL sends no webhook for (UTC). */
    TASK_SWEEP_CRON: cronPattern('30 * * * *'),
    /** Days after which a contact's notes and appointments are read again by the sweeps. */
    CHILDREN_REFRESH_DAYS: positiveInt(30, 3_650, 'ten years'),
    /** The zone used for a location whose GHL settings give none (an IANA name). */
    DEFAULT_TIMEZONE: timeZone('UTC'),
    /** Internal consumers of `sync-completed`; each gets its own queue. */
    SYNC_COMPLETED_CONSUMERS: csv([])
      .pipe(z.array(z.string().regex(/^[a-z0-9-]+$/, { message: 'names are lower-case words' })))
      .transform((names) => [...new Set([...INTERNAL_SYNC_COMPLETED_CONSUMERS, ...names])]),
    /**
     * How long an internal `sync-completed` consumer retries a failing event in place, its queue
     * held in order, before the queue's own attempts take over (ms; 0: no retries in place).
     */
    SYNC_COMPLETED_RETRY_WINDOW_MS: milliseconds(300_000, { min: 0 }),
    /** The first wait between those retries (ms), doubled after each failed try up to 30 s. */
    SYNC_COMPLETED_RETRY_DELAY_MS: milliseconds(1_000),
    /** Read API keys, each scoped to its locations: JSON `[{ name, keyHash | key, locations }]`. */
    READ_API_KEYS: readApiKeysField(),
    /**
     * The ingress' inbox retention, in days (set both services alike). A nightly run finds the
     * contacts that had an event in the inbox; past this, those rows may be gone, so a location
     * whose last successful run is older fetches every contact's children.
     */
    WEBHOOK_INBOX_RETENTION_DAYS: inboxRetentionDays(),
    /** A contact's health score is refreshed live from GHL at most once per this window (ms). */
    HEALTH_SCORE_REFRESH_INTERVAL_MS: milliseconds(60_000),
    /** Events for one contact within this window (ms) become one fetch. */
    CONTACT_SYNC_COALESCE_MS: milliseconds(1_500, { min: 0 }),
    /** How often the outbox relay looks for unpublished events when nothing woke it (ms). */
    OUTBOX_POLL_MS: milliseconds(1_000),
    /** After Redis lost its data, events published this recently are published again (ms). */
    OUTBOX_REPLAY_WINDOW_MS: milliseconds(6 * 3600_000),
    /**
     * Days the sync's history is kept: sync runs (each location's last full sync stays),
     * published outbox events, replayed parked jobs, the nightly runs' dates. It must cover the
     * outbox replay window.
     */
    HISTORY_RETENTION_DAYS: positiveInt(90, 36_500, 'a hundred years'),
    /** A job's lock (ms): a job whose worker died runs again once it expired. */
    WORKER_LOCK_MS: milliseconds(30_000),
    /** How often workers look for stalled jobs (ms). */
    WORKER_STALLED_CHECK_MS: milliseconds(30_000),
    /**
     * On shutdown, how long contact syncs in flight may take before they are stopped and handed
     * back (ms); location runs hand back at once. Well inside the pod's grace period.
     */
    WORKER_DRAIN_MS: milliseconds(20_000),
    /** How long jobs of a location whose token needs re-auth wait before they look again (ms). */
    PAUSED_LOCATION_DELAY_MS: milliseconds(15 * 60_000),
    /** GHL's burst limit per location: requests per window. */
    GHL_BURST_LIMIT: positiveInt(100),
    GHL_BURST_WINDOW_MS: milliseconds(10_000),
    /** GHL's daily limit per location. */
    GHL_DAILY_LIMIT: positiveInt(200_000),
    /** Share of the daily budget that reconciliation leaves to real-time work (0–1). */
    GHL_REALTIME_RESERVE: emptyIsUnset(z.coerce.number().min(0).max(1).default(0.2)),
    /** Per-call timeout for GHL (ms). */
    GHL_TIMEOUT_MS: milliseconds(15_000),
  })
  // The rules file and the enabled rule ids, which no single field can check alone.
  .superRefine(checkAutomationEnv)
  .superRefine(checkHistoryCoversReplay)
  .superRefine(checkShutdownOutlastsDrain);

export type SyncWorkerConfig = z.infer<typeof syncWorkerEnv>;

/** A shutdown cut off before the drain ends would stop contact syncs the drain lets finish. */
function checkShutdownOutlastsDrain(
  config: { SHUTDOWN_TIMEOUT_MS: number; WORKER_DRAIN_MS: number },
  context: z.RefinementCtx,
): void {
  if (config.SHUTDOWN_TIMEOUT_MS > config.WORKER_DRAIN_MS) return;

  context.addIssue({
    code: 'custom',
    path: ['SHUTDOWN_TIMEOUT_MS'],
    message: `must be longer than WORKER_DRAIN_MS (${config.WORKER_DRAIN_MS} ms)`,
  });
}

/** The outbox events a replay after a Redis loss publishes again must not be pruned first. */
function checkHistoryCoversReplay(
  config: { HISTORY_RETENTION_DAYS: number; OUTBOX_REPLAY_WINDOW_MS: number },
  context: z.RefinementCtx,
): void {
  const replayDays = config.OUTBOX_REPLAY_WINDOW_MS / 86_400_000;
  if (config.HISTORY_RETENTION_DAYS >= replayDays) return;

  context.addIssue({
    code: 'custom',
    path: ['HISTORY_RETENTION_DAYS'],
    message: `must cover OUTBOX_REPLAY_WINDOW_MS (${Math.ceil(replayDays)} days)`,
  });
}
