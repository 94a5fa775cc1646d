/**
 * The Postgres channel on which the `notify_ghl_connection_changed` trigger announces every
 * change to a GHL connection or its tokens, with the location id as payload (`*` for a TRUNCATE;
 * see its migration, which names the channel in its SQL), and what its notices are called in
 * the log lines of those who listen.
 */
export const CONNECTION_CHANGE_NOTICES = {
  channel: 'ghl_connection_changed',
  label: 'connection change notices',
} as const;

/** The payload of a TRUNCATE's notice: every location changed. */
export const EVERY_LOCATION_CHANGED = '*';
