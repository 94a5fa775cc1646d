/**
 * The one redaction list for every log line of every service: tokens, codes, secrets and the
 * headers that carry them. pino replaces each path's value with "[redacted]".
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-ghl-signature"]',
  'req.headers["x-wh-signature"]',
  'req.headers["x-service-token"]',
  'res.headers["set-cookie"]',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.clientSecret',
  '*.code',
  '*.password',
  '*.token',
  '*.secret',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'client_secret',
  'code',
  'token',
];

/**
 * Query strings can hold an OAuth `code` or `state`; a logged URL keeps only its path.
 */
export function withoutQuery(url: string | undefined): string | undefined {
  if (!url) return url;
  const queryStart = url.indexOf('?');

  return queryStart === -1 ? url : `${url.slice(0, queryStart)}?[redacted]`;
}
