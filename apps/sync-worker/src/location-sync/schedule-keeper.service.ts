import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';

/**
 * At boot, every location's schedulers are set again from the configuration now deployed: one
 * nightly sync (stable id, its own zone) and one task sweep per location. Upserting by id
 * replaces a scheduler whose pattern changed instead of adding a second; a location that is no
 * longer installed loses both.
 */
@Injectable()
export class ScheduleKeeper implements OnApplicationBootstrap {
  private readonly logger = new Logger(ScheduleKeeper.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly enqueuer: JobEnqueuer,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.keepAll();
    } catch (error) {
      // What can fail here is Postgres being briefly away while the worker boots (one location
      // that fails is handled in keepAll): the worker still serves its queues, and the next
      // location sync (or the Redis-loss recovery) sets the schedulers again, so the boot goes
      // on. A bad NIGHTLY_SYNC_CRON, TASK_SWEEP_CRON or DEFAULT_TIMEZONE cannot get this far:
      // the configuration refuses it with BullMQ's own cron parser and Intl before the app is
      // built.
      this.logger.warn({ error: describeError(error) }, 'schedulers not refreshed at boot');
    }
  }

  /**
   * Sets every location's schedulers; answers how many locations it set. One location that
   * cannot be scheduled (a zone set by hand in SQL that the cron parser refuses) is logged and
   * left for its next sync, which reads its zone from GHL again: the others are still set.
   */
  async keepAll(): Promise<number> {
    const connections = await this.dataSource.getRepository(Connection).find();
    let kept = 0;
    for (const connection of connections) {
      try {
        await this.keep(connection);
        kept += 1;
      } catch (error) {
        this.logger.warn(
          { locationId: connection.locationId, error: describeError(error) },
          'schedulers of a location not refreshed',
        );
      }
    }

    return kept;
  }

  private async keep(connection: Connection): Promise<void> {
    const { locationId } = connection;
    if (connection.status === ConnectionStatus.Uninstalled) {
      await this.enqueuer.removeNightlySync(locationId);
      await this.enqueuer.removeTaskSweep(locationId);

      return;
    }
    const zone = connection.timezone ?? this.config.DEFAULT_TIMEZONE;
    await this.enqueuer.scheduleNightlySync(locationId, zone);
    await this.enqueuer.scheduleTaskSweep(locationId);
  }
}
