import { UnrecoverableError } from 'bullmq';

import { GhlApiError } from '@sm/ghl-client';

/**
 * How a failure reaches BullMQ. Transient GHL failures are rethrown as they are and retried with
 * the queue's backoff; permanent ones (validation, not-found where we do not tombstone, auth
 * that a fresh token did not fix) fail the job at once.
 */
export function forQueue(error: unknown): unknown {
  if (error instanceof GhlApiError && !error.isTransient) {
    return new UnrecoverableError(error.message);
  }

  return error;
}

export const isNotFound = (error: unknown): boolean =>
  error instanceof GhlApiError && error.kind === 'not-found';

/** A short, data-free description of an error for logs, sync_runs and parked_jobs. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);

  return message.slice(0, 1_000);
}
