// A stand-in for a running demo in the lock tests: takes the demo lock for the settings in its
// environment (as `npm start` would), says so on stdout, and holds it until it is killed.
import { lockDemo } from '../../src/demo-lock';
import { demoPorts } from '../../src/demo-ports';

async function hold(): Promise<void> {
  await lockDemo({
    databaseUrl: process.env.DEMO_DATABASE_URL ?? '',
    redisUrl: process.env.REDIS_URL ?? '',
    queuePrefix: process.env.DEMO_QUEUE_PREFIX ?? '',
    ports: demoPorts(),
  });
  process.stdout.write('held\n');
  setInterval(() => undefined, 60_000);
}

hold().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
