import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';

import { redisOptionsFromUrl } from '@sm/queues';

import { HEALTH_REDIS, HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';

/** Liveness and readiness routes through @nestjs/terminus, the same in every service. */
@Module({})
export class HealthModule implements OnApplicationShutdown {
  constructor(@Inject(HEALTH_REDIS) private readonly redis: Redis) {}

  static forRoot(settings: { redisUrl: string }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        RedisHealthIndicator,
        {
          provide: HEALTH_REDIS,
          useFactory: () =>
            new Redis({ ...redisOptionsFromUrl(settings.redisUrl), maxRetriesPerRequest: 1 }),
        },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
