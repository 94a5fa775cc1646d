import { DynamicModule, Module } from '@nestjs/common';

import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from './notification-service.config';

/** The validated configuration, injectable everywhere as NOTIFICATION_SERVICE_CONFIG. */
@Module({})
export class ConfigurationModule {
  static forRoot(config: NotificationServiceConfig): DynamicModule {
    const provider = { provide: NOTIFICATION_SERVICE_CONFIG, useValue: config };

    return {
      module: ConfigurationModule,
      global: true,
      providers: [provider],
      exports: [provider],
    };
  }
}
