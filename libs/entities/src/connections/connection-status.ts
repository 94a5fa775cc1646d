/** Where a GHL location's connection stands. Only `active` connections are synced. */
export const ConnectionStatus = {
  Active: 'active',
  /** GHL refused the stored refresh token: a person must reinstall the app. */
  ReauthRequired: 'reauth_required',
  /** GHL reports the location as not active; retried with backoff. */
  Paused: 'paused',
  Uninstalled: 'uninstalled',
} as const;

export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];
