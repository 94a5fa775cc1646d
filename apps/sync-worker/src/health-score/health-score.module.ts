import { DynamicModule, Module } from '@nestjs/common';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { HealthScoreConsumer } from './health-score.consumer';
import { HealthScoreRefresh } from './health-score-refresh.service';
import { HealthScoreRefreshThrottle } from './health-score-refresh-throttle.service';
import { HealthScoreService } from './health-score.service';

/** Health scores: computed from the records, recomputed on `sync-completed`, refreshed live. */
@Module({})
export class HealthScoreModule {
  static forRoot(config: SyncWorkerConfig): DynamicModule {
    return {
      module: HealthScoreModule,
      providers: [
        { provide: SYNC_WORKER_CONFIG, useValue: config },
        HealthScoreService,
        HealthScoreRefresh,
        HealthScoreRefreshThrottle,
        HealthScoreConsumer,
      ],
      exports: [HealthScoreService, HealthScoreRefresh],
    };
  }
}
