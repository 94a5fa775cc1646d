import { Redis } from 'ioredis';

import { AccessTokenProvider, GhlApi, GhlClient } from '@sm/ghl-client';
import { redisOptionsFromUrl } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';

export interface GhlApiHandle {
  api: GhlApi;
  close(): Promise<void>;
}

/**
 * The GHL client of this process: tokens from the auth service, and a rate budget per location
 * kept in Redis, so that every worker of every replica stays inside GHL's limits together.
 */
export function createGhlApi(
  config: SyncWorkerConfig,
  tokenProvider: AccessTokenProvider,
): GhlApiHandle {
  // Auto-pipelining sends the rate slots asked for in one tick (a page's child fetches start
  // together) in one write: each script still runs atomically, one round trip serves them all.
  const redis = new Redis({ ...redisOptionsFromUrl(config.REDIS_URL), enableAutoPipelining: true });
  const api = new GhlClient({
    tokenProvider,
    baseUrl: config.GHL_API_BASE_URL,
    headersTimeoutMs: config.GHL_TIMEOUT_MS,
    bodyTimeoutMs: config.GHL_TIMEOUT_MS,
    rateGovernor: {
      redis,
      keyPrefix: `${config.QUEUE_PREFIX}:ghl-rate`,
      burstLimit: config.GHL_BURST_LIMIT,
      burstWindowMs: config.GHL_BURST_WINDOW_MS,
      dailyLimit: config.GHL_DAILY_LIMIT,
      realtimeReserve: config.GHL_REALTIME_RESERVE,
    },
  });

  return {
    api,
    close: async () => {
      await api.close();
      redis.disconnect();
    },
  };
}
