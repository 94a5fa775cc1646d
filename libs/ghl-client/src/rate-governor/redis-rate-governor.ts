import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

import { GhlApiError, RateBudget } from '../errors';
import { sleep } from '../http/backoff';
import { headerValue } from '../http/ghl-response';
import type {
  RateGovernor,
  RateObservation,
  RateSlot,
  RateSlotRequest,
} from './rate-governor.contract';
import { ACQUIRE_SCRIPT, OBSERVE_SCRIPT } from './rate-governor.scripts';

export interface RedisRateGovernorOptions {
  /** A dedicated or shared ioredis connection (not a subscriber one). */
  redis: Redis;
  /** Prefix of every key, e.g. `sm:ghl-rate`. Keys are `<prefix>:{<locationId>}:…`. */
  keyPrefix: string;
  /** Calls per burst window per location. Default 100 (GHL's limit). */
  burstLimit?: number;
  /** Burst window, in ms. Default 10,000 (GHL's). */
  burstWindowMs?: number;
  /** Calls per UTC day per location. Default 200,000 (GHL's). */
  dailyLimit?: number;
  /** Share of the daily limit only `realtime` calls may spend, 0–1. Default 0.1. */
  realtimeReserve?: number;
  /**
   * Added to the burst window, in ms. A call counts from its answer (GHL counted it before it
   * answered), so latency needs no margin; this one covers GHL's clock ticking apart from Redis'
   * over one window. Default 50.
   */
  windowMarginMs?: number;
}

export const RATE_GOVERNOR_DEFAULTS = {
  burstLimit: 100,
  burstWindowMs: 10_000,
  dailyLimit: 200_000,
  realtimeReserve: 0.1,
  windowMarginMs: 50,
} as const;

const RATE_HEADERS = [
  'x-ratelimit-remaining',
  'x-ratelimit-max',
  'x-ratelimit-interval-milliseconds',
  'x-ratelimit-daily-remaining',
  'x-ratelimit-limit-daily',
] as const;

type RateRedis = Redis & {
  ghlRateAcquire(...args: Array<string | number>): Promise<[number, string]>;
  ghlRateObserve(...args: Array<string | number>): Promise<number>;
};

/**
 * GHL's per-location limits (burst and day) kept in Redis, so that all workers of all replicas
 * share one budget. A caller asks for a slot; the script either grants it or says how long to
 * wait, and the caller sleeps exactly that long (plus a little jitter), never spinning. The
 * limits used are the configured ones, or lower ones GHL announces in `X-RateLimit-*` headers;
 * the counts are raised to what GHL reports having seen; a 429 pauses the location for a window.
 * `realtime` callers go first, and only they may spend the last `realtimeReserve` of the day.
 */
export class RedisRateGovernor implements RateGovernor {
  private readonly redis: RateRedis;
  private readonly settings: Required<Omit<RedisRateGovernorOptions, 'redis' | 'keyPrefix'>>;

  constructor(private readonly options: RedisRateGovernorOptions) {
    this.settings = {
      burstLimit: options.burstLimit ?? RATE_GOVERNOR_DEFAULTS.burstLimit,
      burstWindowMs: options.burstWindowMs ?? RATE_GOVERNOR_DEFAULTS.burstWindowMs,
      dailyLimit: options.dailyLimit ?? RATE_GOVERNOR_DEFAULTS.dailyLimit,
      realtimeReserve: options.realtimeReserve ?? RATE_GOVERNOR_DEFAULTS.realtimeReserve,
      windowMarginMs: options.windowMarginMs ?? RATE_GOVERNOR_DEFAULTS.windowMarginMs,
    };
    const { redis } = options;
    if (!('ghlRateAcquire' in redis)) {
      redis.defineCommand('ghlRateAcquire', { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
      redis.defineCommand('ghlRateObserve', { numberOfKeys: 2, lua: OBSERVE_SCRIPT });
    }
    this.redis = redis as RateRedis;
  }

  async acquire(locationId: string, request: RateSlotRequest): Promise<RateSlot> {
    const waiterId = randomUUID();
    const { burstLimit, burstWindowMs, dailyLimit, realtimeReserve, windowMarginMs } =
      this.settings;
    for (;;) {
      if (request.signal?.aborted) throw request.signal.reason;
      const [waitMs, reason] = await this.redis.ghlRateAcquire(
        ...this.keys(locationId),
        burstLimit,
        burstWindowMs,
        dailyLimit,
        realtimeReserve,
        request.priority,
        waiterId,
        windowMarginMs,
      );
      if (waitMs === 0) return { id: waiterId };

      const wouldMissDeadline = Date.now() + waitMs > request.deadline;
      if (wouldMissDeadline) throw this.deadlineError(reason, waitMs);
      await sleep(waitMs + Math.floor(Math.random() * 10), request.signal);
    }
  }

  async observe(locationId: string, { status, headers, slot }: RateObservation): Promise<void> {
    const header = (name: string) => headerValue(headers, name)?.trim() ?? '';
    // An answer that is no 429 and carries no X-RateLimit-* header teaches nothing: skipping it
    // saves a Redis round trip per call where the limits are off (GHL sends them all, always).
    const hasRateHeader = RATE_HEADERS.some((name) => header(name) !== '');
    if (status !== 429 && !hasRateHeader) return;

    const [burst, state] = this.keys(locationId);
    await this.redis.ghlRateObserve(
      burst,
      state,
      status,
      header('x-ratelimit-remaining'),
      header('x-ratelimit-max'),
      header('x-ratelimit-interval-milliseconds'),
      header('x-ratelimit-daily-remaining'),
      header('x-ratelimit-limit-daily'),
      this.settings.burstWindowMs,
      this.settings.windowMarginMs,
      slot?.id ?? '',
    );
  }

  /** Forgets a location's counts and pause (tests, or after GHL raised an app's limits). */
  async reset(locationId: string): Promise<void> {
    await this.redis.del(...this.keys(locationId));
  }

  private keys(locationId: string): [string, string, string] {
    // The hash tag keeps one location's keys in one Redis Cluster slot.
    const base = `${this.options.keyPrefix}:{${locationId}}`;

    return [`${base}:burst`, `${base}:state`, `${base}:realtime-waiters`];
  }

  private deadlineError(reason: string, waitMs: number): GhlApiError {
    const message = `rate budget (${reason}) frees in ${waitMs} ms, after the call's deadline`;

    return new GhlApiError('rate', 429, message, undefined, 'rate-governor', {
      budget: reason as RateBudget,
    });
  }
}
