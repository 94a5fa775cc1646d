import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';

/**
 * Redis is ready when it answers and will never evict queue keys: under any other
 * maxmemory-policy a full Redis silently drops jobs.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async isReady(key: string, redis: Redis): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await redis.ping();
      const policy = await readMaxmemoryPolicy(redis);
      if (policy !== undefined && policy !== 'noeviction') {
        return indicator.down({ message: `maxmemory-policy is ${policy}, needs noeviction` });
      }

      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

/** Managed Redis services may refuse CONFIG; then the policy is unknown rather than wrong. */
async function readMaxmemoryPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];

    return reply[1];
  } catch {
    return undefined;
  }
}
