import path from 'node:path';

import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { ConfigError } from '@sm/config';
import { ensureDatabaseExists, runMigrations } from '@sm/entities';
import { WORKSPACE_ROOT } from '@sm/testing';

import { assertDemoPortsFree, demoPorts } from './demo-ports';
import { demoSecretsFile, loadOrCreateDemoSecrets } from './demo-secrets';
import { demoSettings } from './demo-settings';
import { RecordsProbe } from './records';
import { runDemoScenario } from './scenario';
import { startStack } from './stack';
import { formatSummary } from './summary';

/**
 * `npm start`: the whole product on the bundled GHL sandbox. Flags: `--once` (exit after the
 * summary, 0 when in sync), `--json` (the summary as one JSON object on the last line).
 */
async function main(): Promise<number> {
  const flags = new Set(process.argv.slice(2));
  const once = flags.has('--once');
  const json = flags.has('--json');
  const startedAt = Date.now();
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const stateDir = path.join(WORKSPACE_ROOT, 'tmp/demo');
  const databaseUrl =
    process.env.DEMO_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/solarmarket_demo';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queuePrefix = process.env.DEMO_QUEUE_PREFIX ?? 'sm-demo';
  // Checked before the reset: busy ports may be another demo that uses the same database.
  const settings = demoSettings();
  const ports = demoPorts();
  await assertDemoPortsFree(ports);

  say(`▶ resetting the demo database and queues (${redact(databaseUrl)}, prefix ${queuePrefix})`);
  await resetDemoDatabase(databaseUrl);
  await clearQueues(redisUrl, queuePrefix);

  say('▶ starting the GHL sandbox and the four services (logs in tmp/demo/logs)');
  const stack = await startStack({
    databaseUrl,
    redisUrl,
    queuePrefix,
    secrets: loadOrCreateDemoSecrets(stateDir),
    ports,
    stateDir,
    ...settings,
  });
  const probe = await RecordsProbe.connect(databaseUrl);

  let report;
  try {
    say('▶ connecting the sandbox location through OAuth, syncing, sending webhooks');
    report = await runDemoScenario(stack, probe, startedAt);
  } catch (error) {
    say(`✖ ${(error as Error).message}`);
    await probe.close();
    await stack.stop();

    return 1;
  }
  const healthy = report.inSync && report.webhooks.forgedRefused;
  say(formatSummary(report));
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);

  if (once) {
    await probe.close();
    await stack.stop();

    return healthy ? 0 : 1;
  }

  say(`Serving: auth ${stack.urls.auth}, webhooks ${stack.urls.ingress}/webhooks/ghl,`);
  say(`         sync worker (read API, admin) ${stack.urls.sync}/api/v1,`);
  say(`         notifications ${stack.urls.notification}, sandbox ${stack.urls.sandbox}.`);
  say(`Location ${stack.locationId}; its read API key and the service token (admin routes) are`);
  say(`in ${demoSecretsFile(stateDir)} (readApiKey, serviceToken).`);
  say('Ctrl-C stops everything.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await probe.close();
  await stack.stop();

  return 0;
}

async function resetDemoDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new DataSource({ type: 'postgres', url: url.toString() });
  await admin.initialize();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.destroy();
  await ensureDatabaseExists(databaseUrl);
  await runMigrations(databaseUrl);
}

/** Drops the demo's BullMQ keys (and only those: other stacks may share this Redis). */
async function clearQueues(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';

  return parsed.toString();
}

main()
  .then((code) => process.exit(code))
  .catch((error: Error) => {
    // A bad setting is the user's to fix: its message says what, a stack would bury it.
    const shown = error instanceof ConfigError ? error.message : (error.stack ?? error.message);
    process.stderr.write(`npm start failed: ${shown}\n`);
    process.exit(1);
  });
