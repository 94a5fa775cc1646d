import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Redis } from 'ioredis';

import { RedisHealthIndicator } from './redis.health';

export const HEALTH_REDIS = Symbol('HEALTH_REDIS');

/**
 * `/health/live`: the process runs (no dependency checked, so a Postgres outage never restarts
 * every pod). `/health/ready`: Postgres and Redis answer for real.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redisIndicator: RedisHealthIndicator,
    @Inject(HEALTH_REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.database.pingCheck('postgres', { timeout: 2_000 }),
      () => this.redisIndicator.isReady('redis', this.redis),
    ]);
  }
}
