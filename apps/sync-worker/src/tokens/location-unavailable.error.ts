/** Why the auth service will not hand out a token for a location. */
export type UnavailableReason = 'reauth_required' | 'paused' | 'not_connected';

/**
 * The location cannot be synced until something outside this worker changes (a person
 * reinstalls the app, GHL reactivates the location). Jobs for it are put off, not retried hot.
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
