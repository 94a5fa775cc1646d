import type { GhlApi, LocationCallOptions } from './ghl-client.contract';
import { GHL_CLIENT_DEFAULTS, type GhlClientOptions } from './ghl-client.options';
import { GHL_PRODUCTION_BASE_URL } from './ghl-types';
import { GhlTransport } from './http/ghl-transport';
import { LocationCaller } from './http/location-caller';
import { LocationClient } from './location-client';
import type { RateGovernor } from './rate-governor/rate-governor.contract';
import { RedisRateGovernor } from './rate-governor/redis-rate-governor';

/**
 * GHL's API v2 over one keep-alive undici pool. Every call carries `Authorization: Bearer`,
 * `Version: 2021-07-28` and `Accept: application/json`; see the README for retries, errors and
 * the rate governor. Create one per process and `close()` it on shutdown.
 */
export class GhlClient implements GhlApi {
  private readonly transport: GhlTransport;
  private readonly governor?: RateGovernor;

  constructor(private readonly options: GhlClientOptions) {
    const { rateGovernor } = options;
    this.governor =
      rateGovernor && 'acquire' in rateGovernor
        ? rateGovernor
        : rateGovernor && new RedisRateGovernor(rateGovernor);
    this.transport = new GhlTransport({
      baseUrl: options.baseUrl ?? GHL_PRODUCTION_BASE_URL,
      connections: options.connections ?? GHL_CLIENT_DEFAULTS.connections,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? GHL_CLIENT_DEFAULTS.keepAliveTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? GHL_CLIENT_DEFAULTS.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs ?? GHL_CLIENT_DEFAULTS.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs ?? GHL_CLIENT_DEFAULTS.bodyTimeoutMs,
      userAgent: options.userAgent ?? GHL_CLIENT_DEFAULTS.userAgent,
    });
  }

  /**
   * A handle for one location's calls: it caches the location's token, spends its rate budget
   * and counts its HTTP calls (`callCount`). `options` (priority, signal) apply to every call
   * made through it. Handles are cheap: make one per job.
   */
  forLocation(locationId: string, options: LocationCallOptions = {}): LocationClient {
    const retry = { ...GHL_CLIENT_DEFAULTS.retry, ...this.options.retry };
    const caller = new LocationCaller({
      locationId,
      transport: this.transport,
      tokenProvider: this.options.tokenProvider,
      governor: this.governor,
      attempts: Math.max(1, retry.attempts),
      baseDelayMs: retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs,
      rateLimitDeadlineMs:
        this.options.rateLimitDeadlineMs ?? GHL_CLIENT_DEFAULTS.rateLimitDeadlineMs,
    });

    return new LocationClient(locationId, caller, options);
  }

  /** Closes the connection pool once in-flight requests finish. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
