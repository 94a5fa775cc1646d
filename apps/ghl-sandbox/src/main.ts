import { runService } from '@sm/platform';

import { AppModule } from './app.module';
import { sandboxConfigSchema } from './config/sandbox.config';

void runService({
  name: 'ghl-sandbox',
  configSchema: sandboxConfigSchema,
  appModule: (config) => AppModule.forRoot(config),
  settings: (config) => ({ host: config.HOST, port: config.PORT }),
});
