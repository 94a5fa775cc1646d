import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';

import { LoggingModule } from '@sm/logging';
import { DatabaseModule, HealthModule } from '@sm/platform';
import { QueueName, QueuesModule } from '@sm/queues';
import type { AccessTokenProvider, GhlApi } from '@sm/ghl-client';

import { AutomationModule } from './automation/automation.module';
import { ChildrenRefresh } from './children-refresh/children-refresh.service';
import type { SyncWorkerConfig } from './config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from './config/sync-worker-config.token';
import { ContactSyncProcessor } from './contact-sync/contact-sync.processor';
import { ContactSyncService } from './contact-sync/contact-sync.service';
import { CustomFieldKeys } from './custom-fields/custom-field-keys.service';
import { ParkedJobsController } from './failures/parked-jobs.controller';
import { FailuresModule } from './failures/failures.module';
import { ServiceTokenGuard } from './failures/service-token.guard';
import { createGhlApi, GhlApiHandle } from './ghl/ghl-api.factory';
import { GHL_API } from './ghl/ghl-api.token';
import { WorkerShutdown } from './jobs/worker-shutdown';
import { applyWorkerTimings } from './jobs/worker-timings';
import { FullSyncController } from './location-sync/full-sync.controller';
import { LocationRunLock } from './location-sync/location-run-lock.service';
import { LocationSyncProcessor } from './location-sync/location-sync.processor';
import { LocationSyncService } from './location-sync/location-sync.service';
import { NightlyGuard } from './location-sync/nightly-guard.service';
import { ScheduleKeeper } from './location-sync/schedule-keeper.service';
import { OutboxRelay } from './outbox/outbox-relay.service';
import { RedisLossWatch } from './outbox/redis-loss-watch.service';
import { HistoryPruner } from './retention/history-pruner.service';
import { ReadApiModule } from './read-api/read-api.module';
import { RecordWriter } from './records/record-writer.service';
import { TaskSweepService } from './tasks/task-sweep.service';
import { AuthServiceTokenProvider } from './tokens/auth-service-token.provider';
import { WebhookEventsProcessor } from './webhooks/webhook-events.processor';
import { WebhookEventsService } from './webhooks/webhook-events.service';

const GHL_API_HANDLE = Symbol('GHL_API_HANDLE');

/** What tests may swap: a GHL client of their own (the real one, pointed elsewhere). */
export interface SyncWorkerOverrides {
  ghlApi?: GhlApi;
  tokenProvider?: AccessTokenProvider;
}

/**
 * The sync worker: processors for webhook, contact and location syncs, the outbox relay, and
 * HTTP only for health and the parked-jobs admin routes.
 */
@Module({})
export class AppModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(GHL_API_HANDLE) private readonly ghl: GhlApiHandle,
    private readonly webhookEvents: WebhookEventsProcessor,
    private readonly contactSync: ContactSyncProcessor,
    private readonly locationSync: LocationSyncProcessor,
    private readonly shutdown: WorkerShutdown,
  ) {}

  static forRoot(config: SyncWorkerConfig, overrides: SyncWorkerOverrides = {}): DynamicModule {
    applyWorkerTimings(config);

    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: 'sync-worker', level: config.LOG_LEVEL }),
        DatabaseModule.forRoot(config),
        QueuesModule.forRoot({
          redisUrl: config.REDIS_URL,
          prefix: config.QUEUE_PREFIX,
          queues: [
            QueueName.WebhookEvents,
            QueueName.ContactSync,
            QueueName.LocationSync,
            QueueName.Notifications,
          ],
        }),
        HealthModule.forRoot({ redisUrl: config.REDIS_URL }),
        FailuresModule.forRoot(config),
        ReadApiModule.forRoot(config),
        AutomationModule.forRoot(config),
      ],
      controllers: [ParkedJobsController, FullSyncController],
      providers: [
        { provide: SYNC_WORKER_CONFIG, useValue: config },
        {
          provide: GHL_API_HANDLE,
          useFactory: () => ghlHandle(config, overrides),
        },
        {
          provide: GHL_API,
          useFactory: (handle: GhlApiHandle) => handle.api,
          inject: [GHL_API_HANDLE],
        },
        RecordWriter,
        CustomFieldKeys,
        NightlyGuard,
        TaskSweepService,
        ChildrenRefresh,
        ScheduleKeeper,
        ServiceTokenGuard,
        ContactSyncService,
        LocationSyncService,
        WebhookEventsService,
        ContactSyncProcessor,
        LocationSyncProcessor,
        LocationRunLock,
        WebhookEventsProcessor,
        OutboxRelay,
        RedisLossWatch,
        HistoryPruner,
        WorkerShutdown,
      ],
    };
  }

  /**
   * SIGTERM: the workers stop taking jobs and finish the ones in flight while Postgres, Redis and
   * GHL are still open (they close in the shutdown hooks that follow), so no job is left stalled.
   * A location run can take hours at GHL's rate limits, far past a pod's grace period: it is
   * told to stop at its next safe point instead, and hands its job back to the queue; so is a
   * contact sync that GHL holds past WORKER_DRAIN_MS (`WorkerShutdown`).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.begin();
    await Promise.all(
      [this.webhookEvents, this.contactSync, this.locationSync].map((processor) =>
        processor.worker.close(),
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ghl.close();
  }
}

function ghlHandle(config: SyncWorkerConfig, overrides: SyncWorkerOverrides): GhlApiHandle {
  if (overrides.ghlApi) return { api: overrides.ghlApi, close: async () => undefined };

  const tokens =
    overrides.tokenProvider ??
    new AuthServiceTokenProvider({
      authServiceUrl: config.AUTH_SERVICE_URL,
      serviceToken: config.SERVICE_TOKEN,
    });

  return createGhlApi(config, tokens);
}
