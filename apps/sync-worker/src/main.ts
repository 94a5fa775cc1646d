import { runService } from '@sm/platform';

import { AppModule } from './app.module';
import { checkAutomationEnv } from './automation/automation.config';
import { syncWorkerEnv } from './config/sync-worker.config';

void runService({
  name: 'sync-worker',
  // TODO: this check belongs on `syncWorkerEnv` itself, so that every loader of it (the e2e
  // harnesses, the bench) makes it too. Safe meanwhile: the rule book makes the same check when
  // the app starts and throws a ConfigError naming the variables.
  configSchema: syncWorkerEnv.superRefine(checkAutomationEnv),
  appModule: (config) => AppModule.forRoot(config),
  settings: (config) => ({ host: config.HOST, port: config.PORT }),
});
