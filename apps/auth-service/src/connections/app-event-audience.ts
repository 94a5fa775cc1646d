/**
 * Whom an INSTALL / UNINSTALL delivery is for. GHL signs every Marketplace app's webhooks with
 * the same published key, so a valid signature says the event came from GHL, not that it is
 * about our app: the owner of any other app receives its own signed INSTALL / UNINSTALL bodies
 * and could send them to our webhook URL. Only the body's `appId` tells the apps apart.
 *
 * `unnamed` (no `appId`, or not a string) is treated like another app's event: every INSTALL and
 * UNINSTALL GHL documents carries `appId`, and GHL's SDK skips such a body the same way. Failing
 * closed costs little: a skipped UNINSTALL leaves tokens GHL has revoked (the next refresh marks
 * the connection `reauth_required`), a skipped INSTALL leaves an agency location to the install
 * callback or a later INSTALL.
 */
export type AppEventAudience = 'ours' | 'another-app' | 'unnamed';

export interface AppEventOrigin {
  audience: AppEventAudience;
  /** The `appId` the event names, when it names one. */
  eventAppId: string | null;
}

export function appEventOrigin(payload: unknown, ourAppId: string): AppEventOrigin {
  const named = (payload as { appId?: unknown } | null)?.appId;
  const eventAppId = typeof named === 'string' && named !== '' ? named : null;
  if (eventAppId === null) return { audience: 'unnamed', eventAppId };

  return { audience: eventAppId === ourAppId ? 'ours' : 'another-app', eventAppId };
}
