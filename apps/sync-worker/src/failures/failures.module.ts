import { DynamicModule, Module } from '@nestjs/common';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { ConnectionChangeListener } from '../connections/connection-change.listener';
import { LocationGate } from '../connections/location-gate.service';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { BudgetAlerts } from './budget-alerts.service';
import { ParkedJobs } from './parked-jobs.service';

/**
 * Parked jobs, the enqueuer they replay through, and the location gate a replay lifts (with the
 * listener that lifts it when Postgres announces a changed connection), for every module of the
 * worker: the processors park their jobs, and so do the `sync-completed` consumers of the
 * automation and health-score modules. Global, so that one instance serves them all.
 */
@Module({})
export class FailuresModule {
  static forRoot(config: SyncWorkerConfig): DynamicModule {
    return {
      module: FailuresModule,
      global: true,
      providers: [
        { provide: SYNC_WORKER_CONFIG, useValue: config },
        JobEnqueuer,
        BudgetAlerts,
        LocationGate,
        ConnectionChangeListener,
        ParkedJobs,
      ],
      exports: [JobEnqueuer, BudgetAlerts, LocationGate, ParkedJobs],
    };
  }
}
