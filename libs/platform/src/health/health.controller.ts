import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';

import { HEALTH_SETTINGS, HealthSettings } from './health-settings';
import { PostgresHealthIndicator } from './postgres.health';
import { RedisHealthIndicator } from './redis.health';

export const HEALTH_REDIS = Symbol('HEALTH_REDIS');

/**
 * `/health/live`: the process runs (no dependency checked, so a Postgres outage never restarts
 * every pod). `/health/ready`: Postgres answers and takes writes, and Redis answers; with
 * `redisOutage: 'degraded'`, a Redis outage answers 200 with `status: "degraded"` and Redis'
 * state instead.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly postgres: PostgresHealthIndicator,
    private readonly redisIndicator: RedisHealthIndicator,
    @Inject(HEALTH_REDIS) private readonly redis: Redis,
    @Inject(HEALTH_SETTINGS) private readonly settings: HealthSettings,
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
      () => this.postgres.isReady('postgres'),
      () =>
        this.settings.redisOutage === 'degraded'
          ? this.redisReport()
          : this.redisIndicator.isReady('redis', this.redis),
    ]);
  }

  /** Redis as the indicator judges it, a `down` answer turned into `degraded` (still 200). */
  private async redisReport(): Promise<HealthIndicatorResult> {
    const result = await this.redisIndicator.isReady('redis', this.redis);
    const { status, ...details } = result.redis;
    if (status !== 'down') return result;

    const consequence = this.settings.consequence;

    return this.indicators.check('redis').degraded({ ...details, consequence });
  }
}
