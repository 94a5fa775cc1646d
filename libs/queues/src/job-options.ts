import type { DefaultJobOptions } from 'bullmq';

/**
 * Defaults for every job: retried with exponential backoff, and kept after the fact only in
 * bounded numbers so that Redis cannot fill up with history.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
};

/** BullMQ priorities: lower runs first. Webhook-driven work goes before reconciliation. */
export const JobPriority = {
  RealTime: 1,
  Reconciliation: 10,
} as const;

/** Stable ids, so that a redeploy replaces a schedule or a coalesced job instead of adding one. */
export const JobKey = {
  contactSync: (locationId: string, contactId: string) => `contact:${locationId}:${contactId}`,
  nightlySync: (locationId: string) => `nightly-sync:${locationId}`,
  taskSweep: (locationId: string) => `task-sweep:${locationId}`,
  tokenRefresh: (locationId: string) => `token-refresh:${locationId}`,
};
