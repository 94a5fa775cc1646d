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

/**
 * The policy from `INFO memory`, which managed Redis services answer even where they refuse or
 * rename CONFIG; CONFIG GET only for a Redis whose INFO leaves the field out. Unknown when both
 * are refused: then readiness cannot tell, and does not block on it.
 */
async function readMaxmemoryPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory').catch(() => '');
  const fromInfo = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (fromInfo) return fromInfo;

  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];

    return reply[1];
  } catch {
    return undefined;
  }
}
