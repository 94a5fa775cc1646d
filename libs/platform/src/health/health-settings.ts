/** How a service's readiness treats Redis. */
export interface HealthSettings {
  redisUrl: string;
  /**
   * What a Redis outage does to `/health/ready`. `unready` (the default): the service leaves
   * its Service, because it cannot work without Redis. `degraded`: readiness follows Postgres
   * alone and Redis' state is reported with `consequence`, for a service that keeps doing its
   * job without Redis (the webhook ingress records deliveries and queues them later).
   */
  redisOutage?: 'unready' | 'degraded';
  /** What a degraded Redis means for the service's callers, in the readiness answer. */
  consequence?: string;
}

export const HEALTH_SETTINGS = Symbol('HEALTH_SETTINGS');
