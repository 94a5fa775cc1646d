import { DynamicModule, Module } from '@nestjs/common';

import { LoggingModule } from '@sm/logging';
import { DatabaseModule, HealthModule } from '@sm/platform';
import { QueueName, QueuesModule } from '@sm/queues';

import { ConfigurationModule } from './config/configuration.module';
import { NotificationServiceConfig } from './config/notification-service.config';
import { NotificationsModule } from './notifications/notifications.module';

export const SERVICE_NAME = 'notification-service';

@Module({})
export class AppModule {
  static forRoot(config: NotificationServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigurationModule.forRoot(config),
        LoggingModule.forRoot({ service: SERVICE_NAME, level: config.LOG_LEVEL }),
        DatabaseModule.forRoot(config),
        QueuesModule.forRoot({
          redisUrl: config.REDIS_URL,
          prefix: config.QUEUE_PREFIX,
          queues: [QueueName.Notifications],
        }),
        HealthModule.forRoot({ redisUrl: config.REDIS_URL }),
        NotificationsModule,
      ],
    };
  }
}
