import { GhlApiError, type GhlErrorKind } from '../errors';

export type GhlHeaders = Record<string, string | string[] | undefined>;

/** One HTTP answer from GHL, its body already read and parsed where it was JSON. */
export interface GhlResponse {
  status: number;
  headers: GhlHeaders;
  body: unknown;
}

export function headerValue(headers: GhlHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];

  return Array.isArray(value) ? value[0] : value;
}

export function numericHeader(headers: GhlHeaders, name: string): number | undefined {
  const raw = headerValue(headers, name);
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);

  return Number.isFinite(value) ? value : undefined;
}

export function errorKindOf(status: number): GhlErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 429) return 'rate';
  if (status >= 500) return 'server';

  return 'validation';
}

/** GHL's error body: `message` is a string, or a list of strings on 422. */
export function ghlMessageOf(body: unknown, status: number): string | string[] {
  const record = isRecord(body) ? body : {};
  const message = record.message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String);
  if (typeof record.error === 'string') return record.error;
  if (typeof body === 'string' && body.trim() !== '') return body.slice(0, 500);

  return `HTTP ${status}`;
}

function traceIdOf(response: GhlResponse): string | undefined {
  const fromBody = isRecord(response.body) ? response.body.traceId : undefined;
  if (typeof fromBody === 'string') return fromBody;

  return headerValue(response.headers, 'traceid') ?? headerValue(response.headers, 'x-trace-id');
}

export function errorFromResponse(
  operation: string,
  response: GhlResponse,
  outcomeUnknown = false,
): GhlApiError {
  return new GhlApiError(
    errorKindOf(response.status),
    response.status,
    ghlMessageOf(response.body, response.status),
    traceIdOf(response),
    operation,
    { outcomeUnknown },
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
