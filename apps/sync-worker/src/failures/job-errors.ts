import { UnrecoverableError } from 'bullmq';

import { GhlApiError } from '@sm/ghl-client';
import { errorText } from '@sm/logging';

/**
 * How a failure reaches BullMQ. Transient GHL failures are rethrown as they are and retried with
 * the queue's backoff; permanent ones (validation, not-found where we do not tombstone, auth
 * that a fresh token did not fix) fail the job at once.
 */
export function forQueue(error: unknown): unknown {
  if (error instanceof GhlApiError && !error.isTransient) {
    return new UnrecoverableError(error.message);
  }
  // BullMQ stores the message and stack as the job's failure (and a parked job keeps them): a
  // value Postgres refused must not be in them.
  if (error instanceof Error && errorText(error) !== `${error.name}: ${error.message}`) {
    return new Error(errorText(error));
  }

  return error;
}

export const isNotFound = (error: unknown): boolean =>
  error instanceof GhlApiError && error.kind === 'not-found';

/** A short, data-free description of an error for logs, sync_runs and parked_jobs. */
export function describeError(error: unknown): string {
  return errorText(error).slice(0, 1_000);
}
