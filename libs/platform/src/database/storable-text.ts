/**
 * Postgres' text can hold neither NUL nor half of a UTF-16 surrogate pair, and its jsonb refuses
 * the escape of either (`\u0000`, a lone `\ud83d`), which would fail a whole statement over one
 * character of one GHL record or delivery. These helpers store each such character as U+FFFD,
 * the replacement character, and leave everything else as it was.
 */

/**
 * An escape Postgres' jsonb cannot hold, or a well-formed escaped surrogate pair (kept), when it
 * is not itself escaped: an even number of backslashes before it.
 */
const JSON_ESCAPE =
  /(?<!\\)((?:\\\\)*)(\\ud[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2}|\\u(?:0000|d[89a-f][0-9a-f]{2}))/gi;
const PAIRED_ESCAPE_LENGTH = 12;

/** NUL, a high surrogate with no low one after it, or a low surrogate with no high one before. */
const UNSTORABLE_CHARACTER =
  /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Valid JSON text as Postgres' jsonb stores it: each `\u0000` escape and each escape of a lone
 * surrogate, in keys and values at any depth, becomes `\ufffd`; an escaped pair is kept. The
 * text is not re-serialized, so numbers keep every digit and the rest keeps every byte.
 *
 * Only escapes need replacing in JSON text: a raw NUL is not valid JSON, and text decoded from
 * UTF-8 (or written by `JSON.stringify`, which escapes a lone surrogate) holds no raw lone
 * surrogate.
 */
export function storableJson(json: string): string {
  if (!json.includes('\\u')) return json;

  return json.replace(JSON_ESCAPE, (_match, backslashes: string, escape: string) =>
    escape.length === PAIRED_ESCAPE_LENGTH ? `${backslashes}${escape}` : `${backslashes}\\ufffd`,
  );
}

/** A string as a Postgres text column stores it: NUL and each lone surrogate as U+FFFD. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_CHARACTER, '\ufffd');
}

/**
 * A value as the JSON text of a `jsonb` query parameter: `JSON.stringify`, then
 * {@link storableJson}, so that one NUL or half an emoji in an operator's tuning, a GHL title or
 * a notification does not fail the statement that stores it.
 */
export function jsonbParameter(value: unknown): string | null {
  // JSON.stringify(undefined) is undefined, which a query binds as NULL.
  const json = JSON.stringify(value) as string | undefined;

  return json === undefined ? null : storableJson(json);
}
