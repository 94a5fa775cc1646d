/**
 * The one redaction list for every log line of every service: tokens, secrets and the headers
 * that carry them. pino replaces each path's value with "[redacted]".
 *
 * `code` is deliberately not redacted by name: errors carry theirs (`err.code` ECONNREFUSED,
 * a Postgres SQLSTATE) and those are what an operator needs. GHL's OAuth authorization code
 * travels only in the callback's query string and in the token request's form body, so those
 * are the places hidden: the `query` and `body` of a logged request, and every logged URL
 * through `loggableUrl`.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-ghl-signature"]',
  'req.headers["x-wh-signature"]',
  'req.headers["x-service-token"]',
  'res.headers["set-cookie"]',
  'req.query.code',
  'req.query.state',
  'query.code',
  'query.state',
  '*.query.code',
  '*.query.state',
  'body.code',
  '*.body.code',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.clientSecret',
  '*.password',
  '*.token',
  '*.secret',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'client_secret',
  'token',
];

const CENSOR = '[redacted]';
/** Deeper than any log line the services write; bounds the walk on a cyclic object. */
const MAX_DEPTH = 8;

/**
 * A log line's fields without the values a failed query was sent: TypeORM's QueryFailedError
 * carries them as `parameters` (the emails and phones of contact rows, a token's secret), and
 * Postgres' `detail` repeats the values a constraint refused (`Key (email)=(…) already exists`).
 * Every `parameters` field, at any depth, and the `detail` and `where` of every error are
 * replaced with "[redacted]", and so are the values a data exception's message quotes; the SQL
 * text (`query`), the rest of the message and the SQLSTATE are kept.
 *
 * pino's path list cannot say "at any depth", hence this walk (pino's `formatters.log`). It
 * descends only into plain objects, arrays and errors, and copies an object only when it
 * changes something inside it, so a line without query parameters costs no allocation and the
 * caller's error is never modified.
 */
export function withoutQueryValues(fields: Record<string, unknown>): Record<string, unknown> {
  return redactedCopy(fields, 0) as Record<string, unknown>;
}

function redactedCopy(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  const isError = value instanceof Error;
  if (!isError && !Array.isArray(value) && !isPlainObject(value)) return value;

  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  // An error's `cause` and an AggregateError's `errors` are own but not enumerable.
  const keys = isError ? Object.getOwnPropertyNames(source) : Object.keys(source);
  for (const key of keys) {
    const inner = source[key];
    const next = redactedField(source, key, isError, depth);
    if (next === inner) continue;

    copy ??= copyOf(source, isError);
    copy[key] = next;
  }

  return copy ?? value;
}

/**
 * One field, redacted: a query's `parameters`; an error's `detail` (Postgres repeats the values
 * a constraint refused there: `Key (email)=(…)`); and, for an error of SQLSTATE class 22 (a
 * value Postgres could not take), its `where` (`JSON data, line 1: …`) and the quoted value in
 * its message and stack (`invalid input syntax for type uuid: "…"`). Other errors keep their
 * `where`: a trigger's "PL/pgSQL function … line 3" is what finds the fault.
 */
function redactedField(
  source: Record<string, unknown>,
  key: string,
  isError: boolean,
  depth: number,
): unknown {
  const inner = source[key];
  if (inner === undefined) return inner;
  const isRefusedValue = isError && isDataException(source);
  const isQueryValue =
    key === 'parameters' || (isError && key === 'detail') || (isRefusedValue && key === 'where');
  if (isQueryValue) return CENSOR;

  const isRefusedValueText = isRefusedValue && (key === 'message' || key === 'stack');
  if (isRefusedValueText && typeof inner === 'string') return withoutQuotedValues(inner);

  return redactedCopy(inner, depth + 1);
}

/**
 * From a line's first double quote to its last: Postgres quotes a refused value without
 * escaping the quotes inside it, so only the outermost pair bounds it.
 */
const QUOTED_VALUE = /"[^\n]*"/g;

const withoutQuotedValues = (text: string) => text.replace(QUOTED_VALUE, `"${CENSOR}"`);

/** SQLSTATE class 22, "data exception": the message may quote the value it refused. */
const isDataException = (error: object) => {
  const code = (error as { code?: unknown }).code;

  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
};

/**
 * An error as one line of text for a log field, a job's failure or a stored error column,
 * without the value a data exception quotes (which the log line's own redaction cannot see
 * once the error is a string).
 */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);

  return error !== null && typeof error === 'object' && isDataException(error)
    ? withoutQuotedValues(text)
    : text;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);

  return prototype === Object.prototype || prototype === null;
}

/**
 * A shallow copy; an error's keeps its class (pino's serializer writes it as `type`) and its
 * own non-enumerable `message` and `stack`.
 */
function copyOf(value: Record<string, unknown>, isError: boolean): Record<string, unknown> {
  if (Array.isArray(value)) return [...value] as unknown as Record<string, unknown>;
  if (!isError) return { ...value };

  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(value)) {
    const { enumerable } = Object.getOwnPropertyDescriptor(value, key) ?? {};
    Object.defineProperty(copy, key, {
      value: value[key],
      enumerable,
      writable: true,
      configurable: true,
    });
  }

  return copy;
}

/**
 * Query strings can hold an OAuth `code` or `state`, and a request line in absolute form
 * (`GET http://user:password@host/path`) credentials: a logged URL keeps only the rest.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : `${url.slice(0, queryStart)}?[redacted]`;

  return path.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1[redacted]@');
}
