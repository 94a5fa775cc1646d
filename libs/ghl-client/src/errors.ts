/**
 * GHL failures, classified once here so that every caller reacts the same way:
 * transient → retry with backoff; permanent → fail the job at once; auth → the connection
 * needs a fresh token or re-auth; not-found → tombstone the record; rate → wait, do not burn
 * an attempt.
 */
export type GhlErrorKind = 'auth' | 'not-found' | 'validation' | 'rate' | 'server' | 'network';

export class GhlApiError extends Error {
  constructor(
    readonly kind: GhlErrorKind,
    /** HTTP status, or 0 where no response arrived. */
    readonly status: number,
    /** GHL's message: a string, or a list on 422. */
    readonly ghlMessage: string | string[],
    readonly traceId: string | undefined,
    readonly operation: string,
  ) {
    super(`GHL ${operation} failed (${status || kind}): ${[ghlMessage].flat().join('; ')}`);
    this.name = 'GhlApiError';
  }

  /** Whether trying the same call later can succeed. */
  get isTransient(): boolean {
    return this.kind === 'server' || this.kind === 'network' || this.kind === 'rate';
  }
}
