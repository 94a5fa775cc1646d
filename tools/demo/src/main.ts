import path from 'node:path';

import { ConfigError } from '@sm/config';
import { WORKSPACE_ROOT } from '@sm/testing';

import { lockDemo } from './demo-lock';
import { assertDemoPortsFree, demoPorts } from './demo-ports';
import { assertDatabaseIdle, clearDemoQueues, resetDemoDatabase } from './demo-reset';
import { DemoRefusedError } from './demo-refused.error';
import { demoSecretsFile, loadOrCreateDemoSecrets } from './demo-secrets';
import { demoSettings } from './demo-settings';
import { demoStateDir } from './demo-state';
import { stopOrphanedServices } from './orphaned-services';
import { RecordsProbe } from './records';
import { runDemoScenario } from './scenario';
import { StackOptions, startStack } from './stack';
import { formatSummary } from './summary';

/**
 * `npm start`: the whole product on the bundled GHL sandbox. Flags: `--once` (exit after the
 * summary, 0 when in sync), `--json` (the summary as one JSON object on the last line).
 */
async function main(): Promise<number> {
  const flags = new Set(process.argv.slice(2));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = Date.now();

  const databaseUrl =
    process.env.DEMO_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/solarmarket_demo';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queuePrefix = process.env.DEMO_QUEUE_PREFIX ?? 'sm-demo';
  // All checked before the reset: another demo may be using the database, the prefix or a port.
  const settings = demoSettings();
  const ports = demoPorts();
  const stateDir = demoStateDir(WORKSPACE_ROOT, queuePrefix);
  const lock = await lockDemo({ databaseUrl, redisUrl, queuePrefix, ports }, (what) =>
    say(`⚠ lost this demo's hold on ${what}: another demo may now reset it`),
  );
  try {
    // Only now, holding the prefix: a demo killed with SIGKILL leaves its services running.
    const leftRunning = await stopOrphanedServices({ stateDir, queuePrefix }, say);
    await assertDemoPortsFree(ports, leftRunning);
    await assertDatabaseIdle(databaseUrl);

    say(`▶ resetting the demo database and queues (${redact(databaseUrl)}, prefix ${queuePrefix})`);
    await resetDemoDatabase(databaseUrl);
    await clearDemoQueues(redisUrl, queuePrefix);

    const run = { once: flags.has('--once'), json: flags.has('--json'), say, startedAt };

    return await runDemo({ databaseUrl, redisUrl, queuePrefix, ports, stateDir, ...settings }, run);
  } finally {
    await lock.release();
  }
}

async function runDemo(
  options: Omit<StackOptions, 'secrets'>,
  run: { once: boolean; json: boolean; say: (line: string) => void; startedAt: number },
): Promise<number> {
  const { say } = run;
  const { stateDir } = options;
  say(
    '▶ starting the GHL sandbox and the four services ' +
      `(logs in ${path.relative(WORKSPACE_ROOT, stateDir)}/logs)`,
  );
  const stack = await startStack({ ...options, secrets: loadOrCreateDemoSecrets(stateDir) });
  const probe = await RecordsProbe.connect(options.databaseUrl);

  let report;
  try {
    say('▶ connecting the sandbox location through OAuth, syncing, sending webhooks');
    report = await runDemoScenario(stack, probe, run.startedAt);
  } catch (error) {
    say(`✖ ${(error as Error).message}`);
    await probe.close();
    await stack.stop();

    return 1;
  }
  const healthy = report.inSync && report.webhooks.forgedRefused;
  say(formatSummary(report));
  if (run.json) process.stdout.write(`${JSON.stringify(report)}\n`);

  if (run.once) {
    await probe.close();
    await stack.stop();

    return healthy ? 0 : 1;
  }

  say(`Serving: auth ${stack.urls.auth}, webhooks ${stack.urls.ingress}/webhooks/ghl,`);
  say(`         sync worker (read API, admin) ${stack.urls.sync}/api/v1,`);
  say(`         notifications ${stack.urls.notification}, sandbox ${stack.urls.sandbox}.`);
  say(`Location ${stack.locationId}; its read API key and the service token (admin routes) are`);
  say(`in ${path.relative(WORKSPACE_ROOT, demoSecretsFile(stateDir))} (readApiKey, serviceToken).`);
  say('Ctrl-C stops everything.');
  // Otherwise a service that died while the demo served went unnoticed until a request failed.
  stack.onServiceEnded(({ app, pid, how, logFile }) => {
    const log = path.relative(WORKSPACE_ROOT, logFile);
    say(`✖ ${app} (pid ${pid}) ended by itself (${how}); its log: ${log}`);
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await probe.close();
  await stack.stop();

  return 0;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';

  return parsed.toString();
}

main()
  .then((code) => process.exit(code))
  .catch((error: Error) => {
    // A bad setting or a refused start is the user's to fix: its message says what, a stack
    // would bury it.
    const plain = error instanceof ConfigError || error instanceof DemoRefusedError;
    const shown = plain ? error.message : (error.stack ?? error.message);
    process.stderr.write(`npm start failed: ${shown}\n`);
    process.exit(1);
  });
