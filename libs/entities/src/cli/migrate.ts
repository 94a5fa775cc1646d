import { loadConfig, sharedEnvSchema } from '@sm/config';
import { createLogger } from '@sm/logging';

import { ensureDatabaseExists, runMigrations } from '../data-source';

/** `npm run migrate`: creates the database if needed and applies pending migrations. */
async function main(): Promise<void> {
  const config = loadConfig(sharedEnvSchema);
  const logger = createLogger({ service: 'migrate', level: config.LOG_LEVEL });

  await ensureDatabaseExists(config.DATABASE_URL, config);
  const applied = await runMigrations(config.DATABASE_URL, config);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date');
}

main().catch((error: Error) => {
  process.stderr.write(`migrate failed: ${error.message}\n`);
  process.exit(1);
});
