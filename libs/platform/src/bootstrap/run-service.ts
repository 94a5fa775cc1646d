import { DynamicModule, INestApplication } from '@nestjs/common';
import { z } from 'zod';

import { ConfigError, loadConfig } from '@sm/config';

import { ServiceSettings, startService } from './bootstrap-service';

export interface ServiceDefinition<Schema extends z.ZodType> {
  /** The service's name in logs and messages. */
  name: string;
  configSchema: Schema;
  appModule: (config: z.infer<Schema>) => DynamicModule;
  settings: (config: z.infer<Schema>) => ServiceSettings;
}

/**
 * The `main.ts` of every service. Validates the environment first and stops with a message
 * naming each bad variable. `--check-config` only validates (the deploy checks run it against
 * the k8s and compose environments).
 */
export async function runService<Schema extends z.ZodType>(
  definition: ServiceDefinition<Schema>,
  argv: string[] = process.argv.slice(2),
): Promise<INestApplication | undefined> {
  let config: z.infer<Schema>;
  try {
    config = loadConfig(definition.configSchema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${definition.name}: ${error.message}\n`);
    process.exit(1);
  }

  if (argv.includes('--check-config')) {
    process.stdout.write(`${definition.name}: configuration ok\n`);

    return undefined;
  }

  const settings = { shutdownTimeoutMs: shutdownTimeoutOf(config), ...definition.settings(config) };

  return startService(definition.appModule(config), settings);
}

/** SHUTDOWN_TIMEOUT_MS of a service whose schema has it (every one built on `sharedEnv`). */
function shutdownTimeoutOf(config: unknown): number | undefined {
  const value = (config as { SHUTDOWN_TIMEOUT_MS?: unknown }).SHUTDOWN_TIMEOUT_MS;

  return typeof value === 'number' ? value : undefined;
}
