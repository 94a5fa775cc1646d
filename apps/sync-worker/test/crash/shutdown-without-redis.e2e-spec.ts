import { useHarnessOnPrivateRedis } from './crash-harness';

const SHUTDOWN_TIMEOUT_MS = 3_000;

describe('crash: SIGTERM while Redis is gone', () => {
  const { redis, harness } = useHarnessOnPrivateRedis(
    { locationId: 'SMcrashNoRedisStop01', contacts: 10 },
    { startWorker: false },
  );

  it('ends the worker at SHUTDOWN_TIMEOUT_MS, saying so, not waiting for Redis', async () => {
    const worker = await harness.startWorker({
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      WORKER_DRAIN_MS: '1000',
    });
    // Nothing of the test's own waits on the vanished Redis: only the worker's shutdown does.
    await harness.stopConsumers();
    await redis.stop();
    try {
      const stoppedAt = Date.now();
      const exitCode = await worker.stop('SIGTERM');
      const tookMs = Date.now() - stoppedAt;

      expect(exitCode).toBe(1);
      expect(tookMs).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS);
      expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 10_000);
      expect(worker.output()).toContain('shutdown did not finish in time; the process ends');
    } finally {
      // Back on its port, so that the harness can delete the test's keys.
      await redis.start();
    }
  }, 60_000);
});
