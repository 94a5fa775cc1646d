import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';

import { CONNECTION_CHANGE_NOTICES, EVERY_LOCATION_CHANGED } from '@sm/entities';
import { PostgresNoticeListener } from '@sm/platform';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { LocationGate } from './location-gate.service';

/** How the notice connection reads in `pg_stat_activity`. */
export const NOTICE_APPLICATION_NAME = 'sync-worker connection notices';
/** After a re-check that failed (Redis or Postgres unreachable), every held location again. */
const RECHECK_RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/**
 * Listens for Postgres' notices of changed connections, on a connection of its own, and has the
 * location gate re-check the location named: a re-authorisation that adds no job (a stored
 * Private Integration Token, GHL reactivating the location, an operator's edit in SQL) ends the
 * location's pause at once. Every replica hears the notice; the first to act lifts the pause in
 * Redis for all of them and promotes the jobs put off. The payload is trusted for the location
 * id only; the gate reads the row.
 *
 * Notices sent while the notice connection is down are lost, so each (re)connect, and each
 * re-check that failed, is followed by a re-check of every location with a pause or put-off
 * jobs.
 */
@Injectable()
export class ConnectionChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionChangeListener.name);
  private readonly notices: PostgresNoticeListener;
  private isStopping = false;
  private recheckFailures = 0;
  private recheckTimer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(
    @Inject(SYNC_WORKER_CONFIG) config: SyncWorkerConfig,
    private readonly gate: LocationGate,
  ) {
    const channel = { ...CONNECTION_CHANGE_NOTICES, applicationName: NOTICE_APPLICATION_NAME };
    this.notices = new PostgresNoticeListener(config, channel, {
      logger: this.logger,
      onNotice: (payload) => this.onNotice(payload),
      // Listening from here on: what changed before is found by reading every held location.
      onListening: () => this.run(() => this.recheckAll()),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.notices.start();
  }

  /** Stops listening, and waits for the re-checks on their way (they use the gate's Redis). */
  async onModuleDestroy(): Promise<void> {
    this.isStopping = true;
    clearTimeout(this.recheckTimer);
    await this.notices.stop();
    await Promise.allSettled([...this.running]);
  }

  private onNotice(payload: string | undefined): void {
    if (this.isStopping) return;

    const locationId = payload ?? EVERY_LOCATION_CHANGED;
    if (locationId === EVERY_LOCATION_CHANGED) return this.run(() => this.recheckAll());
    this.run(() => this.recheck(locationId));
  }

  private async recheck(locationId: string): Promise<void> {
    try {
      await this.gate.recheck(locationId);
    } catch (error) {
      this.logger.warn({ locationId, error: describeError(error) }, 'location re-check failed');
      this.retryRecheckAll();
    }
  }

  private async recheckAll(): Promise<void> {
    try {
      await this.gate.recheckAll();
      this.recheckFailures = 0;
    } catch (error) {
      this.logger.warn({ error: describeError(error) }, 'held locations re-check failed');
      this.retryRecheckAll();
    }
  }

  /** One retry at a time, later after each failure; it covers every held location. */
  private retryRecheckAll(): void {
    if (this.isStopping || this.recheckTimer) return;

    const delays = RECHECK_RETRY_DELAYS_MS;
    const delay = delays[Math.min(this.recheckFailures, delays.length - 1)];
    this.recheckFailures += 1;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      this.run(() => this.recheckAll());
    }, delay);
    this.recheckTimer.unref();
  }

  /** Runs a re-check in the background, so that shutdown can wait for it. */
  private run(recheck: () => Promise<void>): void {
    if (this.isStopping) return;

    const running = recheck().finally(() => this.running.delete(running));
    this.running.add(running);
  }
}
