import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { PostgresPool, postgresPool, queryWithin } from '@sm/entities';

/** Time the readiness check gives Postgres, the wait for a pooled connection included. */
const POSTGRES_CHECK_TIMEOUT_MS = 2_000;

const READ_ONLY = `SELECT current_setting('transaction_read_only') = 'on' AS read_only`;

/**
 * Postgres is ready when a connection of the service's own pool answers within the check's time
 * and takes writes. A check left without an answer closes its connection (the pool's clients do
 * on a query timeout) instead of leaving it hanging, so probes never pile up on a silent
 * network; and every service writes, so a server that only reads (a standby that a failover
 * left new connections on) is not ready.
 */
@Injectable()
export class PostgresHealthIndicator {
  private readonly pool: PostgresPool;

  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.pool = postgresPool(dataSource);
  }

  async isReady(key: string): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      const { rows } = await queryWithin<{ read_only: boolean }>(
        this.pool,
        { text: READ_ONLY },
        POSTGRES_CHECK_TIMEOUT_MS,
      );
      if (rows[0]?.read_only) {
        return indicator.down({ message: 'Postgres takes no writes (transaction_read_only)' });
      }

      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
