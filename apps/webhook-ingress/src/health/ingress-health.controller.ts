import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';

import { RedisHealthIndicator } from '@sm/platform';

export const INGRESS_HEALTH_REDIS = Symbol('INGRESS_HEALTH_REDIS');

/**
 * The ingress' own health routes (the platform's make Redis a condition of readiness).
 *
 * `/health/live`: the process runs. `/health/ready`: Postgres answers, because the inbox row is
 * what makes a delivery accepted. Redis is reported but never fails readiness: while it is down
 * the ingress still records and acknowledges every delivery and the sweeper queues them later,
 * whereas an unready ingress leaves the Service and GHL's deliveries are refused at the edge.
 */
@Controller('health')
export class IngressHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redisIndicator: RedisHealthIndicator,
    @Inject(INGRESS_HEALTH_REDIS) private readonly redis: Redis,
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
      () => this.redisReport(),
    ]);
  }

  /** Redis as the platform judges it, a `down` answer turned into `degraded` (still 200). */
  private async redisReport(): Promise<HealthIndicatorResult> {
    const result = await this.redisIndicator.isReady('redis', this.redis);
    const { status, ...details } = result.redis;
    if (status !== 'down') return result;

    return this.indicators.check('redis').degraded({ ...details, consequence: QUEUED_LATER });
  }
}

const QUEUED_LATER = 'deliveries are recorded and acknowledged; the sweeper queues them later';
