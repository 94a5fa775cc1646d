import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';

import { redisOptionsFromUrl } from '@sm/queues';

import { HEALTH_REDIS, HealthController } from './health.controller';
import { HEALTH_SETTINGS, HealthSettings } from './health-settings';
import { PostgresHealthIndicator } from './postgres.health';
import { RedisHealthIndicator } from './redis.health';

/** Time a Redis command of the readiness check may take. */
const REDIS_CHECK_TIMEOUT_MS = 1_000;

/** Liveness and readiness routes through @nestjs/terminus, the same in every service. */
@Module({})
export class HealthModule implements OnApplicationShutdown {
  constructor(@Inject(HEALTH_REDIS) private readonly redis: Redis) {}

  static forRoot(settings: HealthSettings): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        PostgresHealthIndicator,
        RedisHealthIndicator,
        { provide: HEALTH_SETTINGS, useValue: settings },
        { provide: HEALTH_REDIS, useFactory: () => healthRedis(settings) },
      ],
    };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

/**
 * No offline queue and a command timeout, whatever the mode: a probe learns at once that Redis is
 * away (refused, or silent behind a dead network) instead of waiting out reconnection attempts
 * past the probe's own timeout, and probes never pile up behind a Redis that does not answer.
 */
function healthRedis(settings: HealthSettings): Redis {
  const client = new Redis({
    ...redisOptionsFromUrl(settings.redisUrl),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: REDIS_CHECK_TIMEOUT_MS,
  });

  return client.on('error', () => undefined);
}
