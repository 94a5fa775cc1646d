/**
 * Why the auth service will not hand out a token for a location. `token_unreadable`: no key of
 * the auth service's ring opens the stored token; like a re-auth, an operator must act (mend the
 * ring, or reinstall the app).
 */
export type UnavailableReason = 'reauth_required' | 'paused' | 'token_unreadable' | 'not_connected';

/**
 * The location cannot be synced until something outside this worker changes (a person
 * reinstalls the app or mends the auth service's key ring, GHL reactivates the location). Jobs
 * for it are put off, not retried hot.
 */
export class LocationUnavailableError extends Error {
  constructor(
    readonly locationId: string,
    readonly reason: UnavailableReason,
  ) {
    super(`location ${locationId} cannot be synced: ${reason}`);
    this.name = 'LocationUnavailableError';
  }
}
