import { runService } from '@sm/platform';

import { AppModule } from './app.module';
import { syncWorkerEnv } from './config/sync-worker.config';

void runService({
  name: 'sync-worker',
  configSchema: syncWorkerEnv,
  appModule: (config) => AppModule.forRoot(config),
  settings: (config) => ({ host: config.HOST, port: config.PORT }),
});
