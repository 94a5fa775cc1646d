import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';

import { RedisHealthIndicator } from '@sm/platform';
import { redisOptionsFromUrl } from '@sm/queues';

import { INGRESS_HEALTH_REDIS, IngressHealthController } from './ingress-health.controller';

/** Time a Redis command of the readiness check may take before Redis is reported degraded. */
const REDIS_CHECK_TIMEOUT_MS = 1_000;

/** Liveness and readiness of the ingress: Postgres decides, Redis is only reported. */
@Module({})
export class IngressHealthModule implements OnApplicationShutdown {
  constructor(@Inject(INGRESS_HEALTH_REDIS) private readonly redis: Redis) {}

  static forRoot(settings: { redisUrl: string }): DynamicModule {
    return {
      module: IngressHealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [IngressHealthController],
      providers: [
        RedisHealthIndicator,
        {
          provide: INGRESS_HEALTH_REDIS,
          // No offline queue and a command timeout: a probe learns at once that Redis is away
          // instead of waiting out reconnection attempts past the probe's own timeout.
          useFactory: () =>
            new Redis({
              ...redisOptionsFromUrl(settings.redisUrl),
              enableOfflineQueue: false,
              maxRetriesPerRequest: 1,
              commandTimeout: REDIS_CHECK_TIMEOUT_MS,
            }).on('error', () => undefined),
        },
      ],
    };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
