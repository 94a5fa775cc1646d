import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';

import { connectionSettings } from '@sm/entities';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { LocationGate } from './location-gate.service';

/** The channel the `notify_ghl_connection_changed` trigger announces on (see its migration). */
const CHANNEL = 'ghl_connection_changed';
/** What the trigger sends for a TRUNCATE: every location changed. */
const EVERY_LOCATION = '*';
/** How the notice connection reads in `pg_stat_activity`. */
export const NOTICE_APPLICATION_NAME = 'sync-worker connection notices';
const RECONNECT_DELAYS_MS = [100, 500, 2_000, 5_000];
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
 * Notices sent while the connection is down are lost, so each (re)connect, and each re-check
 * that failed, is followed by a re-check of every location with a pause or put-off jobs.
 */
@Injectable()
export class ConnectionChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionChangeListener.name);
  private client: Client | undefined;
  private isStopping = false;
  private failures = 0;
  private recheckFailures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly gate: LocationGate,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  /** Stops listening, and waits for the re-checks on their way (they use the gate's Redis). */
  async onModuleDestroy(): Promise<void> {
    this.isStopping = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.recheckTimer);
    await this.client?.end().catch(() => undefined);
    await Promise.allSettled([...this.running]);
  }

  private async connect(): Promise<void> {
    if (this.isStopping) return;
    // The services' connect timeout and keepalive: a connect to a silent host fails, and is
    // tried again, instead of hanging with the notices off for good.
    const client = new Client({
      ...connectionSettings(this.config),
      connectionString: this.config.DATABASE_URL,
      application_name: NOTICE_APPLICATION_NAME,
    });
    client.on('notification', (notice) => this.onNotice(notice.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      return this.lost(client, error as Error);
    }

    if (this.isStopping) return void client.end().catch(() => undefined);
    if (this.failures > 0) this.logger.log('connection change notices back');
    this.failures = 0;
    // Listening from here on: what changed before is found by reading every held location.
    this.run(() => this.recheckAll());
  }

  private onNotice(payload: string | undefined): void {
    if (this.isStopping) return;

    const locationId = payload ?? EVERY_LOCATION;
    if (locationId === EVERY_LOCATION) return this.run(() => this.recheckAll());
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

  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.isStopping) return;

    this.client = undefined;
    client.end().catch(() => undefined);
    const delay = RECONNECT_DELAYS_MS[Math.min(this.failures, RECONNECT_DELAYS_MS.length - 1)];
    this.failures += 1;
    this.logger.warn({ err: error?.message, retryInMs: delay }, 'connection change notices lost');
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }
}
