import { runService } from '@sm/platform';

import { AppModule, SERVICE_NAME } from './app.module';
import { notificationServiceEnv } from './config/notification-service.config';

void runService({
  name: SERVICE_NAME,
  configSchema: notificationServiceEnv,
  appModule: (config) => AppModule.forRoot(config),
  settings: (config) => ({ host: config.HOST, port: config.PORT }),
});
