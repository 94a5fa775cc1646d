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
