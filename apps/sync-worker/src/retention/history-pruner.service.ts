import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { FULL_SYNC_SUCCESS } from '@sm/entities';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';

/** How often the history is pruned, and how long after boot the first time. */
const PRUNE_EVERY_MS = 3_600_000;
const FIRST_PRUNE_AFTER_MS = 60_000;
/** Rows per DELETE: each statement holds its row locks only briefly. */
const PRUNE_BATCH_SIZE = 1_000;
/** DELETEs per table and prune: a large backlog is worked off over several hours. */
const MAX_PRUNE_BATCHES = 10;

/**
 * One bounded batch of a table's rows past the retention ($1 days), $2 at most, oldest first
 * through the table's index on that age. SKIP LOCKED: replicas pruning at once take different
 * rows.
 */
const PRUNE_BATCHES = {
  // Each location's last successful full sync stays: the next run plans from it. The partial
  // index IDX_sync_runs_location_full_success finds it in one probe per candidate.
  syncRuns: `
    DELETE FROM sync_runs WHERE id IN (
      SELECT id FROM sync_runs AS run
      WHERE started_at < now() - make_interval(days => $1)
        AND id IS DISTINCT FROM (
          SELECT kept.id FROM sync_runs AS kept
          WHERE kept.location_id = run.location_id AND ${FULL_SYNC_SUCCESS}
          ORDER BY kept.started_at DESC LIMIT 1)
      ORDER BY started_at LIMIT $2
      FOR UPDATE SKIP LOCKED)`,
  // Unpublished events stay until the relay has published them.
  outboxEvents: `
    DELETE FROM outbox_events WHERE id IN (
      SELECT id FROM outbox_events
      WHERE published_at < now() - make_interval(days => $1)
      ORDER BY published_at LIMIT $2
      FOR UPDATE SKIP LOCKED)`,
  // Parked jobs not replayed stay until an operator acts on them.
  replayedParkedJobs: `
    DELETE FROM parked_jobs WHERE id IN (
      SELECT id FROM parked_jobs
      WHERE replayed_at < now() - make_interval(days => $1)
      ORDER BY replayed_at LIMIT $2
      FOR UPDATE SKIP LOCKED)`,
  nightlySyncDates: `
    DELETE FROM nightly_sync_dates WHERE (location_id, time_zone, local_date) IN (
      SELECT location_id, time_zone, local_date FROM nightly_sync_dates
      WHERE claimed_at < now() - make_interval(days => $1)
      ORDER BY claimed_at LIMIT $2
      FOR UPDATE SKIP LOCKED)`,
} as const;

export type PrunedRows = Record<keyof typeof PRUNE_BATCHES, number>;

/**
 * Deletes the sync's own history past `HISTORY_RETENTION_DAYS`, once an hour in bounded
 * batches: sync runs, published outbox events, replayed parked jobs and the nightly runs'
 * claimed dates. Each grows by a row per contact sync or per location and day; without this
 * they would grow for as long as the product runs.
 */
@Injectable()
export class HistoryPruner
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger(HistoryPruner.name);
  private timers: NodeJS.Timeout[] = [];
  private pruning: Promise<PrunedRows> | undefined;
  private isClosing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {}

  /** A worker restarted more often than hourly still prunes, a minute after each boot. */
  onApplicationBootstrap(): void {
    this.timers = [
      setTimeout(() => void this.prune(), FIRST_PRUNE_AFTER_MS),
      setInterval(() => void this.prune(), PRUNE_EVERY_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /**
   * The first of the shutdown hooks: a prune in hand stops after its current batch (the rest
   * waits for the next boot's), while the other modules shut down.
   */
  onModuleDestroy(): void {
    this.isClosing = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pruning;
  }

  /** One prune; a prune already running is joined rather than doubled. The rows deleted. */
  prune(): Promise<PrunedRows> {
    this.pruning ??= this.pruneOnce().finally(() => (this.pruning = undefined));

    return this.pruning;
  }

  private async pruneOnce(): Promise<PrunedRows> {
    const pruned = { syncRuns: 0, outboxEvents: 0, replayedParkedJobs: 0, nightlySyncDates: 0 };
    for (const table of Object.keys(PRUNE_BATCHES) as (keyof PrunedRows)[]) {
      pruned[table] = await this.pruneTable(table);
    }
    const retentionDays = this.config.HISTORY_RETENTION_DAYS;
    if (Object.values(pruned).some((count) => count > 0)) {
      this.logger.log({ ...pruned, retentionDays }, 'sync history past its retention deleted');
    }

    return pruned;
  }

  /** A failed table waits for the next prune; the other tables are pruned all the same. */
  private async pruneTable(table: keyof PrunedRows): Promise<number> {
    let deleted = 0;
    try {
      for (let batch = 0; batch < MAX_PRUNE_BATCHES && !this.isClosing; batch++) {
        const [, count] = (await this.dataSource.query(PRUNE_BATCHES[table], [
          this.config.HISTORY_RETENTION_DAYS,
          PRUNE_BATCH_SIZE,
        ])) as [unknown, number];
        deleted += count;
        if (count < PRUNE_BATCH_SIZE) break;
      }
    } catch (error) {
      this.logger.warn({ table, error: describeError(error) }, 'sync history prune failed');
    }

    return deleted;
  }
}
