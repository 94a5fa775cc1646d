import type { AccessTokenProvider } from './ghl-client.contract';
import type { RateGovernor } from './rate-governor/rate-governor.contract';
import type { RedisRateGovernorOptions } from './rate-governor/redis-rate-governor';

/** Retries of idempotent calls (GET, PUT, DELETE, read-only POSTs) after 5xx or network errors. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. `1` turns retries off. */
  attempts?: number;
  /** Base of the exponential backoff, in ms. Default 250. */
  baseDelayMs?: number;
  /** Cap of one backoff delay, in ms. Default 8,000. */
  maxDelayMs?: number;
}

export interface GhlClientOptions {
  /** Hands out location access tokens; asked again with `forceRefresh` after a 401. */
  tokenProvider: AccessTokenProvider;
  /** Default `GHL_PRODUCTION_BASE_URL`. A path after the origin is kept as a prefix. */
  baseUrl?: string;
  /** Keep-alive connections to GHL per client (per process). Default 16. */
  connections?: number;
  /** How long an idle keep-alive connection stays open, in ms. Default 30,000. */
  keepAliveTimeoutMs?: number;
  /** Time to open a TCP/TLS connection, in ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Time from sending a request to GHL's response headers, in ms. Default 30,000. */
  headersTimeoutMs?: number;
  /** Longest silence while the response body arrives, in ms. Default 30,000. */
  bodyTimeoutMs?: number;
  retry?: RetryOptions;
  /**
   * Longest one call may wait for rate budget (the governor's slot, a 429 pause), in ms, before
   * it fails with a `rate` GhlApiError. Default 300,000 (five minutes).
   */
  rateLimitDeadlineMs?: number;
  /**
   * Shares GHL's per-location limits between every client of every replica: a governor, or the
   * options of a `RedisRateGovernor` (an ioredis connection and a key prefix). Without one, the
   * client only reacts to 429s.
   */
  rateGovernor?: RateGovernor | RedisRateGovernorOptions;
  /** Sent as `User-Agent`. Default `solarmarket-ghl-sync`. */
  userAgent?: string;
}

export const GHL_CLIENT_DEFAULTS = {
  connections: 16,
  keepAliveTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  retry: { attempts: 4, baseDelayMs: 250, maxDelayMs: 8_000 },
  rateLimitDeadlineMs: 300_000,
  userAgent: 'solarmarket-ghl-sync',
} as const;

/** Without a governor or GHL's interval header, a 429 waits this long before the retry (ms). */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 10_000;
