import type { PinoLogger } from 'nestjs-pino';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Ends the process when its graceful shutdown outlasts `timeoutMs` after SIGTERM or SIGINT. A
 * close that waits on a server gone away (BullMQ's queues wait for a Redis that is down) held
 * the process until the orchestrator's SIGKILL, and for good under a developer's Ctrl-C, with
 * nothing in the log saying why. A shutdown that finishes in time ends the process as before:
 * each listener is called once, so the signal Nest raises again after its close meets none.
 */
export function boundShutdown(timeoutMs: number, logger: PinoLogger): void {
  for (const signal of SHUTDOWN_SIGNALS) {
    process.once(signal, () => {
      setTimeout(() => {
        logger.error({ signal, timeoutMs }, 'shutdown did not finish in time; the process ends');
        process.exit(1);
      }, timeoutMs);
    });
  }
}
