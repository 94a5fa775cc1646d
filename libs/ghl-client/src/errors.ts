/**
 * GHL failures, classified once here so that every caller reacts the same way:
 * transient → retry with backoff; permanent → fail the job at once; auth → the connection
 * needs a fresh token or re-auth; not-found → tombstone the record; rate → wait, do not burn
 * an attempt.
 */
export type GhlErrorKind = 'auth' | 'not-found' | 'validation' | 'rate' | 'server' | 'network';

/** Which of the rate budgets a `rate` error of the governor ran into. */
export type RateBudget = 'daily' | 'burst' | 'paused' | 'yield';

export interface GhlApiErrorDetails {
  outcomeUnknown?: boolean;
  cause?: unknown;
  budget?: RateBudget;
}

export class GhlApiError extends Error {
  constructor(
    readonly kind: GhlErrorKind,
    /** HTTP status, or 0 where no response arrived. */
    readonly status: number,
    /** GHL's message: a string, or a list on 422. */
    readonly ghlMessage: string | string[],
    readonly traceId: string | undefined,
    readonly operation: string,
    details: GhlApiErrorDetails = {},
  ) {
    super(`GHL ${operation} failed (${status || kind}): ${[ghlMessage].flat().join('; ')}`, {
      cause: details.cause,
    });
    this.name = 'GhlApiError';
    this.outcomeUnknown = details.outcomeUnknown ?? false;
    this.budget = details.budget;
  }

  /** For a `rate` error of the governor: the budget that has no slot before the deadline. */
  readonly budget: RateBudget | undefined;

  /**
   * True when a call that is not safe to replay (a create) may have taken effect although no
   * success came back: the response was lost, timed out, or was a 5xx. The client never retries
   * such a call; the caller must look the record up before creating it again (see the README).
   */
  readonly outcomeUnknown: boolean;

  /** Whether trying the same call later can succeed. */
  get isTransient(): boolean {
    return this.kind === 'server' || this.kind === 'network' || this.kind === 'rate';
  }
}

export function isGhlApiError(error: unknown): error is GhlApiError {
  return error instanceof GhlApiError;
}
