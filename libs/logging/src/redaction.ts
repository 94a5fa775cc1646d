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
