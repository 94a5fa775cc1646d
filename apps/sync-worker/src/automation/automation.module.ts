import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';

import { QueueName } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { ServiceTokenGuard } from '../failures/service-token.guard';
import {
  CUSTOM_ACTIONS,
  CustomActionHandler,
  CustomActionRegistry,
} from './actions/custom-actions';
import { FollowUpService } from './actions/follow-up.service';
import { TeamNoticeService } from './actions/team-notice.service';
import { AutomationAdminController } from './admin/automation-admin.controller';
import { AUTOMATION_CONFIG } from './automation-config.token';
import { AutomationConsumer } from './automation-consumer.service';
import { AutomationProcessor } from './automation.processor';
import { CatalogController } from './catalog/catalog.controller';
import { OperationsCatalogService } from './catalog/operations-catalog.service';
import { EffectLedger } from './effects/effect-ledger.service';
import { ReminderFiring } from './reminders/reminder-firing.service';
import { ReminderScheduler } from './reminders/reminder-scheduler.service';
import { RuleBook } from './rules/rule-book.service';
import { RuleEngine } from './rules/rule-engine.service';
import { StaleLeadScan } from './stale-leads/stale-lead-scan.service';

export interface AutomationOptions {
  /** Custom actions, by the name rules give them (`type: custom`, `name: <name>`). */
  customActions?: Record<string, CustomActionHandler>;
}

/**
 * Automation: rules (built-in templates and the operator's own) run over the records the sync
 * engine wrote, follow-ups, reminders, team notices, the stale-lead scan, the operator's rule
 * API and the operations catalog.
 */
@Module({})
export class AutomationModule {
  static forRoot(config: SyncWorkerConfig, options: AutomationOptions = {}): DynamicModule {
    return {
      module: AutomationModule,
      imports: [
        BullModule.registerQueue({ name: QueueName.Automation }, { name: QueueName.Notifications }),
      ],
      controllers: [AutomationAdminController, CatalogController],
      providers: [
        { provide: AUTOMATION_CONFIG, useValue: config },
        { provide: SYNC_WORKER_CONFIG, useValue: config },
        {
          provide: CUSTOM_ACTIONS,
          useFactory: () => new CustomActionRegistry(options.customActions),
        },
        ServiceTokenGuard,
        RuleBook,
        EffectLedger,
        FollowUpService,
        TeamNoticeService,
        ReminderScheduler,
        ReminderFiring,
        RuleEngine,
        StaleLeadScan,
        AutomationProcessor,
        AutomationConsumer,
        OperationsCatalogService,
      ],
      exports: [RuleEngine, RuleBook, CUSTOM_ACTIONS],
    };
  }
}
