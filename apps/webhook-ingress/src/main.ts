import { runService } from '@sm/platform';

import { AppModule, SERVICE_NAME, ingressServiceSettings } from './app.module';
import { webhookIngressConfigSchema } from './config/webhook-ingress.config';

void runService({
  name: SERVICE_NAME,
  configSchema: webhookIngressConfigSchema,
  appModule: (config) => AppModule.forRoot(config),
  settings: ingressServiceSettings,
});
