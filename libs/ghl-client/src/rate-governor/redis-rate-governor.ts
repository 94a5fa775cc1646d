import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

import { GhlApiError, RateBudget } from '../errors';
import type { CallPriority } from '../ghl-client.contract';
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
  /**
   * Most slots one Redis call reserves for this process, per location and priority. A
   * location's first call reserves one; while reserved slots run out before their lease ends,
   * each reservation doubles, up to this (and a tenth of the burst limit). Default 64; 1 asks
   * Redis once per call.
   */
  slotBatch?: number;
  /**
   * How long reserved slots wait for calls, in ms; then the rest are dropped, spent. A reserved
   * slot counts in the window as if its call went out at the lease's end. Default 250.
   */
  slotLeaseMs?: number;
}

export const RATE_GOVERNOR_DEFAULTS = {
  burstLimit: 100,
  burstWindowMs: 10_000,
  dailyLimit: 200_000,
  realtimeReserve: 0.1,
  windowMarginMs: 50,
  slotBatch: 64,
  slotLeaseMs: 250,
} as const;

/** Reservoirs kept before idle ones are forgotten (one per location and priority in use). */
const MAX_RESERVOIRS = 1_000;

const RATE_HEADERS = [
  'x-ratelimit-remaining',
  'x-ratelimit-max',
  'x-ratelimit-interval-milliseconds',
  'x-ratelimit-daily-remaining',
  'x-ratelimit-limit-daily',
] as const;

type RateRedis = Redis & {
  ghlRateAcquire(...args: Array<string | number>): Promise<[number, string, number?]>;
  ghlRateObserve(...args: Array<string | number>): Promise<number>;
};

/**
 * GHL's per-location limits (burst and day) kept in Redis, so that all workers of all replicas
 * share one budget. A caller asks for a slot; the script either grants it or says how long to
 * wait, and the caller sleeps exactly that long (plus a little jitter), never spinning. The
 * limits used are the configured ones, or lower ones GHL announces in `X-RateLimit-*` headers;
 * the counts are raised to what GHL reports having seen; a 429 pauses the location for a window.
 * `realtime` callers go first, and only they may spend the last `realtimeReserve` of the day.
 *
 * Slots are reserved in batches (`slotBatch`): one Redis call grants a process several of the
 * shared budget's slots at once, held for a short lease and handed to its callers without a
 * round trip each. The budget stays one for every replica: Redis grants no more than the
 * limits leave, and a reserved slot counts as spent whether or not it is used.
 */
export class RedisRateGovernor implements RateGovernor {
  private readonly redis: RateRedis;
  private readonly settings: Required<Omit<RedisRateGovernorOptions, 'redis' | 'keyPrefix'>>;
  private readonly reservoirs = new Map<string, SlotReservoir>();

  constructor(private readonly options: RedisRateGovernorOptions) {
    this.settings = {
      burstLimit: options.burstLimit ?? RATE_GOVERNOR_DEFAULTS.burstLimit,
      burstWindowMs: options.burstWindowMs ?? RATE_GOVERNOR_DEFAULTS.burstWindowMs,
      dailyLimit: options.dailyLimit ?? RATE_GOVERNOR_DEFAULTS.dailyLimit,
      realtimeReserve: options.realtimeReserve ?? RATE_GOVERNOR_DEFAULTS.realtimeReserve,
      windowMarginMs: options.windowMarginMs ?? RATE_GOVERNOR_DEFAULTS.windowMarginMs,
      slotBatch: Math.max(1, options.slotBatch ?? RATE_GOVERNOR_DEFAULTS.slotBatch),
      slotLeaseMs: options.slotLeaseMs ?? RATE_GOVERNOR_DEFAULTS.slotLeaseMs,
    };
    const { redis } = options;
    if (!('ghlRateAcquire' in redis)) {
      redis.defineCommand('ghlRateAcquire', { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
      redis.defineCommand('ghlRateObserve', { numberOfKeys: 2, lua: OBSERVE_SCRIPT });
    }
    this.redis = redis as RateRedis;
  }

  async acquire(locationId: string, request: RateSlotRequest): Promise<RateSlot> {
    const reservoir = this.reservoirOf(locationId, request.priority);
    reservoir.waiting += 1;
    try {
      for (;;) {
        if (request.signal?.aborted) throw request.signal.reason;
        const id = takeSlot(reservoir, performance.now(), this.settings.slotBatch);
        if (id) return { id };

        // One reservation in flight per reservoir: callers arriving meanwhile wait for it.
        reservoir.refill ??= this.reserve(locationId, request.priority, reservoir);
        const { waitMs, reason } = await reservoir.refill;
        if (waitMs === 0) continue;

        const wouldMissDeadline = Date.now() + waitMs > request.deadline;
        if (wouldMissDeadline) throw this.deadlineError(reason, waitMs);
        await sleep(waitMs + Math.floor(Math.random() * 10), request.signal);
      }
    } finally {
      reservoir.waiting -= 1;
    }
  }

  /** Asks Redis for a batch of slots; on a grant they are in the reservoir when this resolves. */
  private async reserve(
    locationId: string,
    priority: CallPriority,
    reservoir: SlotReservoir,
  ): Promise<{ waitMs: number; reason: string }> {
    const { burstLimit, burstWindowMs, dailyLimit, realtimeReserve, windowMarginMs } =
      this.settings;
    const { slotBatch, slotLeaseMs } = this.settings;
    const wanted = Math.min(slotBatch, Math.max(reservoir.nextBatch, reservoir.waiting));
    // The lease is measured from before the call: Redis scored the slots at its end or later.
    const sentAt = performance.now();
    try {
      const [waitMs, reason, granted = 1] = await this.redis.ghlRateAcquire(
        ...this.keys(locationId),
        burstLimit,
        burstWindowMs,
        dailyLimit,
        realtimeReserve,
        priority,
        reservoir.waiterId,
        windowMarginMs,
        wanted,
        slotLeaseMs,
      );
      if (waitMs > 0) return { waitMs, reason };

      const batch = reservoir.waiterId;
      reservoir.ids = Array.from({ length: granted }, (_, index) => `${batch}:${granted - index}`);
      reservoir.expiresAt = sentAt + slotLeaseMs;
      reservoir.waiterId = randomUUID();

      return { waitMs: 0, reason };
    } finally {
      reservoir.refill = undefined;
    }
  }

  private reservoirOf(locationId: string, priority: CallPriority): SlotReservoir {
    const key = `${priority}:${locationId}`;
    let reservoir = this.reservoirs.get(key);
    if (!reservoir) {
      if (this.reservoirs.size >= MAX_RESERVOIRS) this.forgetIdleReservoirs();
      reservoir = { ids: [], expiresAt: 0, nextBatch: 1, waiting: 0, waiterId: randomUUID() };
      this.reservoirs.set(key, reservoir);
    }

    return reservoir;
  }

  private forgetIdleReservoirs(): void {
    const now = performance.now();
    for (const [key, reservoir] of this.reservoirs) {
      const isIdle = reservoir.waiting === 0 && !reservoir.refill && now >= reservoir.expiresAt;
      if (isIdle) this.reservoirs.delete(key);
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
    for (const priority of ['realtime', 'reconciliation'] as const) {
      this.reservoirs.delete(`${priority}:${locationId}`);
    }
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

/** One location's and priority's slots reserved by this process and not yet handed out. */
interface SlotReservoir {
  ids: string[];
  /** `performance.now()` at which the reserved slots still here are dropped. */
  expiresAt: number;
  /** How many slots the next reservation asks for. */
  nextBatch: number;
  /** Callers waiting for a slot. */
  waiting: number;
  /** Names the next reservation (and its slots) in Redis, and a waiting realtime caller. */
  waiterId: string;
  refill?: Promise<{ waitMs: number; reason: string }>;
}

/**
 * Hands out a reserved slot unless the lease is over. A batch used up within its lease makes
 * the next one twice as big; one that outlived its lease makes it half as big.
 */
function takeSlot(reservoir: SlotReservoir, now: number, maxBatch: number): string | undefined {
  if (reservoir.ids.length === 0) return undefined;
  if (now >= reservoir.expiresAt) {
    reservoir.ids = [];
    reservoir.nextBatch = Math.max(1, Math.floor(reservoir.nextBatch / 2));

    return undefined;
  }
  const id = reservoir.ids.pop();
  if (reservoir.ids.length === 0) reservoir.nextBatch = Math.min(maxBatch, reservoir.nextBatch * 2);

  return id;
}
