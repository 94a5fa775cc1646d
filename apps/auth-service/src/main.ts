import { runService } from '@sm/platform';

import { AppModule } from './app.module';
import { authServiceEnv } from './config/auth-service.config';

void runService({
  name: 'auth-service',
  configSchema: authServiceEnv,
  appModule: (config) => AppModule.forRoot(config),
  settings: (config) => ({ host: config.HOST, port: config.PORT }),
});
