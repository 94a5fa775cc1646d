/** The GHL OAuth scope every write to a contact, task, note or tag needs. */
export const CONTACTS_WRITE_SCOPE = 'contacts.write';

/**
 * A GHL call the connection's token is not authorized for. It is thrown before the call is
 * made: sending it would only earn GHL's 401 and spend rate budget. It is permanent for the
 * connection as it stands; the location must be reinstalled with the scope (the auth service
 * asks for `contacts.write` when `GHL_WRITE_FEATURES` is on).
 */
export class MissingScopeError extends Error {
  constructor(
    /** The scope the operation needs, e.g. `contacts.write`. */
    readonly scope: string,
    /** What was attempted, e.g. `completeContactTask`. */
    readonly operation: string,
    /** The location whose connection lacks it, when known. */
    readonly locationId?: string,
  ) {
    const where = locationId ? ` of location ${locationId}` : '';
    super(
      `${operation} needs the GHL scope ${scope}, which the connection${where} was not granted; ` +
        'reinstall the app with write features switched on',
    );
    this.name = 'MissingScopeError';
  }
}

/** Whether `scopes` (as the auth service's token endpoint returns them) include `scope`. */
export function hasScope(scopes: readonly string[] | undefined, scope: string): boolean {
  return (scopes ?? []).includes(scope);
}

/**
 * Throws `MissingScopeError` unless `scopes` include `scope`. Call it with the `scopes` of the
 * token answer before any write, e.g. `assertScope(token.scopes, 'contacts.write',
 * 'completeContactTask', locationId)`. An absent list counts as no scope at all.
 */
export function assertScope(
  scopes: readonly string[] | undefined,
  scope: string,
  operation: string,
  locationId?: string,
): void {
  if (!hasScope(scopes, scope)) throw new MissingScopeError(scope, operation, locationId);
}
