import type { OpenFailure } from '../crypto/token-cipher';

/** No connection (or an uninstalled one) for the location: the endpoint answers 404. */
export class ConnectionNotFoundError extends Error {
  constructor(readonly locationId: string) {
    super(`no connection for location ${locationId}`);
    this.name = 'ConnectionNotFoundError';
  }
}

export type UnavailableReason = 'reauth_required' | 'paused';

/** The connection exists but cannot hand out a token now: the endpoint answers 409. */
export class ConnectionUnavailableError extends Error {
  constructor(
    readonly locationId: string,
    readonly reason: UnavailableReason,
  ) {
    super(`connection of location ${locationId} is ${reason}`);
    this.name = 'ConnectionUnavailableError';
  }
}

/** GHL's token endpoint failed transiently past our retries: the endpoint answers 503. */
export class RefreshUnavailableError extends Error {
  constructor(readonly locationId: string) {
    super(`token refresh for location ${locationId} is temporarily unavailable`);
    this.name = 'RefreshUnavailableError';
  }
}

/**
 * The stored token row of a location opens with no key of the ring: the key that sealed it is
 * missing from `TOKEN_ENCRYPTION_KEYS`, or is there with other bytes, or the row was altered.
 * The endpoint answers 409 `token_unreadable`: an operator must mend the ring (or the location
 * be reinstalled), as for a re-auth. Names the row and the key id, never a value.
 */
export class StoredTokenUnreadableError extends Error {
  constructor(
    readonly locationId: string,
    /** The key id the row was sealed with, from the value's header (else the row's column). */
    readonly keyId: string,
    readonly reason: string,
    readonly failure: OpenFailure,
    /** The row's generation: a rewritten row that fails again is a new occurrence. */
    readonly generation: number,
  ) {
    super(`the stored token of ${locationId} (key ${keyId}) cannot be opened: ${reason}`);
    this.name = 'StoredTokenUnreadableError';
  }
}

/** How the internal token endpoint answers a refusal. */
export interface TokenRefusal {
  statusCode: number;
  body: { error: string };
}

/** The answer for one of the errors above; undefined for anything else (a fault of ours). */
export function tokenRefusal(error: unknown): TokenRefusal | undefined {
  if (error instanceof ConnectionNotFoundError) {
    return { statusCode: 404, body: { error: 'not_found' } };
  }
  if (error instanceof ConnectionUnavailableError) {
    return { statusCode: 409, body: { error: error.reason } };
  }
  if (error instanceof StoredTokenUnreadableError) {
    return { statusCode: 409, body: { error: 'token_unreadable' } };
  }
  if (error instanceof RefreshUnavailableError) {
    return { statusCode: 503, body: { error: 'refresh_unavailable' } };
  }

  return undefined;
}
