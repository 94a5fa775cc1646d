import { Pool } from 'undici';

import { GHL_API_VERSION } from '../ghl-types';
import type { GhlResponse } from './ghl-response';
import { wholeBodyExchange } from './whole-body-exchange';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  /** Path under the base URL, e.g. `/contacts/abc`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-encoded when an object, sent as is when a string (with `contentType`). */
  body?: unknown;
  contentType?: string;
  bearerToken?: string;
  /** Adds `Version: 2021-07-28`; every call but POST /oauth/token carries it. */
  versioned: boolean;
  signal?: AbortSignal;
}

export interface TransportOptions {
  baseUrl: string;
  connections: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  userAgent: string;
}

/** Error codes raised before the request left this process: replaying them is always safe. */
const CONNECT_PHASE_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function failedBeforeSending(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;

  return typeof code === 'string' && CONNECT_PHASE_CODES.has(code);
}

/** One keep-alive undici pool to GHL's origin; one `send` is one HTTP exchange, no retries. */
export class GhlTransport {
  private readonly pool: Pool;
  private readonly pathPrefix: string;

  constructor(private readonly options: TransportOptions) {
    const url = new URL(options.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 1_000),
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
    });
  }

  async send(request: TransportRequest): Promise<GhlResponse> {
    const answer = await wholeBodyExchange(
      this.pool,
      {
        method: request.method,
        path: this.pathPrefix + request.path + queryString(request.query),
        headers: this.headersFor(request),
        body: encodeBody(request.body),
      },
      request.signal,
    );

    return { status: answer.status, headers: answer.headers, body: parseBody(answer.text) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private headersFor(request: TransportRequest): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent,
    };
    if (request.versioned) headers.version = GHL_API_VERSION;
    if (request.bearerToken) headers.authorization = `Bearer ${request.bearerToken}`;
    if (request.body !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
    }

    return headers;
  }
}

function queryString(query: TransportRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.append(name, String(value));
  }
  const encoded = params.toString();

  return encoded ? `?${encoded}` : '';
}

function encodeBody(body: unknown): string | undefined {
  if (body === undefined) return undefined;

  return typeof body === 'string' ? body : JSON.stringify(body);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
