/** GHL's ids (locations, contacts, tasks, …) fit the tables' 64-character key columns. */
export const MAX_GHL_ID_LENGTH = 64;

/** A value that can be a GHL id: a non-empty string that fits the key columns. */
export const isGhlId = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value.length <= MAX_GHL_ID_LENGTH;
