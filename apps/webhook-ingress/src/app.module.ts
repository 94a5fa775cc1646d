import { DynamicModule, Module } from '@nestjs/common';

import { LoggingModule } from '@sm/logging';
import { DatabaseModule, HealthModule, ServiceSettings } from '@sm/platform';

import { WebhookIngressConfig } from './config/webhook-ingress.config';
import { WebhooksModule } from './webhooks/webhooks.module';

export const SERVICE_NAME = 'webhook-ingress';

@Module({})
export class AppModule {
  static forRoot(config: WebhookIngressConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: SERVICE_NAME, level: config.LOG_LEVEL }),
        DatabaseModule.forRoot(config),
        // The inbox row, not the job, makes a delivery accepted: while Redis is down the ingress
        // still records and acknowledges every delivery and the sweeper queues them later, so a
        // Redis outage must not take it out of its Service (GHL's deliveries would be refused).
        HealthModule.forRoot({
          redisUrl: config.REDIS_URL,
          redisOutage: 'degraded',
          consequence: 'deliveries are recorded and acknowledged; the sweeper queues them later',
        }),
        WebhooksModule.forRoot(config),
      ],
    };
  }
}

/**
 * How the ingress is served, in main.ts and in tests alike. No body parser: the receiver reads
 * the raw bytes itself, with its own size limit, so that nothing is parsed before it is verified.
 */
export function ingressServiceSettings(config: WebhookIngressConfig): ServiceSettings {
  return { host: config.HOST, port: config.PORT, bodyParser: false };
}
