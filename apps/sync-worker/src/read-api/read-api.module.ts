import { DynamicModule, Module } from '@nestjs/common';

import { ActivityModule } from '../activity/activity.module';
import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { ServiceTokenGuard } from '../failures/service-token.guard';
import { HealthScoreModule } from '../health-score/health-score.module';
import { ApiKeyGuard } from './api-key.guard';
import { ContactsController } from './contacts.controller';
import { ContactsRead } from './contacts-read.service';
import { HealthScoreController } from './health-score.controller';
import { OpenApiController, OpenApiDocument } from './openapi.controller';

/**
 * SolarMarket's read API under /api/v1: contacts with their tasks, notes, appointments,
 * timeline and health score, from the records only. Its OpenAPI document is /api/v1/openapi.json.
 */
@Module({})
export class ReadApiModule {
  static forRoot(config: SyncWorkerConfig): DynamicModule {
    return {
      module: ReadApiModule,
      imports: [ActivityModule, HealthScoreModule.forRoot(config)],
      controllers: [ContactsController, HealthScoreController, OpenApiController],
      providers: [
        { provide: SYNC_WORKER_CONFIG, useValue: config },
        ApiKeyGuard,
        ServiceTokenGuard,
        ContactsRead,
        OpenApiDocument,
      ],
    };
  }
}
