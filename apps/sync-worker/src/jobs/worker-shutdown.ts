import { setMaxListeners } from 'node:events';

import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';

/**
 * Listeners a shutdown signal may have at once without Node's leak warning: every GHL call in
 * flight listens (CHILD_FETCH_CONCURRENCY per run, SYNC_CONCURRENCY jobs), and lets go when done.
 */
export const SIGNAL_LISTENERS = 10_000;

/**
 * What the worker's jobs hear of its shutdown. A location run stops at once: it takes hours at
 * GHL's rate limits, far past a pod's grace period, and resumes where its commits stopped. A
 * contact sync takes seconds, so it is let finish, unless GHL holds it (a rate-limit wait, a
 * hung answer) past WORKER_DRAIN_MS: then it stops too. Either signal aborts GHL calls in
 * flight and their waits; a job stopped by one goes back to the queue without spending an
 * attempt (`handBack`).
 */
@Injectable()
export class WorkerShutdown implements OnModuleDestroy {
  private readonly logger = new Logger(WorkerShutdown.name);
  private readonly runs = new AbortController();
  private readonly jobs = new AbortController();
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig) {
    setMaxListeners(SIGNAL_LISTENERS, this.runs.signal, this.jobs.signal);
  }

  /** Aborted as the shutdown begins: location runs and task sweeps. */
  get runsSignal(): AbortSignal {
    return this.runs.signal;
  }

  /** Aborted WORKER_DRAIN_MS after the shutdown began: contact syncs. */
  get jobsSignal(): AbortSignal {
    return this.jobs.signal;
  }

  get isShuttingDown(): boolean {
    return this.runs.signal.aborted;
  }

  begin(): void {
    if (this.isShuttingDown) return;
    this.runs.abort(new Error('the worker is shutting down'));
    this.drainTimer = setTimeout(() => {
      this.logger.warn(
        { drainMs: this.config.WORKER_DRAIN_MS },
        'jobs still in flight at the drain deadline are stopped and handed back',
      );
      this.jobs.abort(new Error('the worker is shutting down'));
    }, this.config.WORKER_DRAIN_MS);
    this.drainTimer.unref();
  }

  onModuleDestroy(): void {
    clearTimeout(this.drainTimer);
  }
}
