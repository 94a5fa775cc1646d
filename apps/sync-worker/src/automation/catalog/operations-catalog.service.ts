import { Inject, Injectable } from '@nestjs/common';

import type { Rule } from '@sm/automation-rules';
import { JobName, QueueName, WEBHOOK_EVENT_QUEUES, WebhookEventType } from '@sm/queues';

import type { SyncWorkerConfig } from '../../config/sync-worker.config';
import { CUSTOM_ACTIONS, CustomActionRegistry } from '../actions/custom-actions';
import { CONTACTS_WRITE_SCOPE } from '../actions/follow-up.service';
import { AUTOMATION_CONFIG } from '../automation-config.token';
import { RuleBook } from '../rules/rule-book.service';
import { CatalogClientAction, ghlClientActions } from './ghl-operations.catalog';
import { workspaceRootOf } from './workspace-root';

export const CATALOG_VERSION = 1;

export interface CatalogRuleAction {
  kind: 'rule-action' | 'custom-action';
  name: string;
  description: string;
  scopes: string[];
  queue?: string;
  jobs?: string[];
}

export type CatalogTrigger =
  | { kind: 'webhook'; eventType: WebhookEventType; queue: string }
  | { kind: 'schedule'; name: string; cron: string; timezone: string; queue: string; job: string }
  | { kind: 'timer'; name: string; queue: string; job: string }
  | { kind: 'rule-trigger'; event: Rule['trigger']['event']; from: string[] };

export interface OperationsCatalog {
  catalogVersion: number;
  actions: Array<CatalogClientAction | CatalogRuleAction>;
  triggers: CatalogTrigger[];
  rules: Array<{ id: string; name: string; trigger: string; actions: string[] }>;
}

/** Where each rule trigger is read from (the records a sync wrote, or a schedule). */
const RULE_TRIGGER_SOURCES: Record<Rule['trigger']['event'], string[]> = {
  'contact.created': ['ContactCreate', 'location.full-sync'],
  'task.completed': ['TaskComplete', 'location.full-sync'],
  'task.open': ['TaskCreate', 'TaskComplete', 'TaskDelete', 'location.full-sync'],
  'appointment.status': ['AppointmentCreate', 'AppointmentUpdate', 'AppointmentDelete'],
  'contact.stale': ['stale-lead-scan'],
};

/**
 * The operations catalog: every action the platform can take (each GHL client method with the
 * scopes its calls need, and the rule actions) and every trigger (each webhook event type the
 * ingress routes, each schedule and timer, and the rule triggers), generated from the code.
 */
@Injectable()
export class OperationsCatalogService {
  private catalog: Promise<OperationsCatalog> | undefined;

  constructor(
    @Inject(AUTOMATION_CONFIG) private readonly config: SyncWorkerConfig,
    @Inject(CUSTOM_ACTIONS) private readonly customActions: CustomActionRegistry,
    private readonly rules: RuleBook,
  ) {}

  get(): Promise<OperationsCatalog> {
    this.catalog ??= this.build();

    return this.catalog;
  }

  private async build(): Promise<OperationsCatalog> {
    const clientActions = await ghlClientActions(workspaceRootOf());

    return {
      catalogVersion: CATALOG_VERSION,
      actions: [...clientActions, ...this.ruleActions()],
      triggers: [...webhookTriggers(), ...this.schedules(), ...ruleTriggers()],
      rules: this.rules.all().map((rule) => ({
        id: rule.id,
        name: rule.name,
        trigger: rule.trigger.event,
        actions: rule.actions.map((action) => action.type),
      })),
    };
  }

  private ruleActions(): CatalogRuleAction[] {
    const builtIn: CatalogRuleAction[] = [
      {
        kind: 'rule-action',
        name: 'create-follow-up',
        description:
          'A task in GHL (createContactTask) with contacts.write, else a SolarMarket task',
        scopes: [CONTACTS_WRITE_SCOPE],
      },
      {
        kind: 'rule-action',
        name: 'notify-team',
        description: "A notice to the location's team through the notification service",
        scopes: [],
        queue: QueueName.Notifications,
        jobs: [JobName.TaskCompleted, JobName.TeamNotices],
      },
      {
        kind: 'rule-action',
        name: 'schedule-reminder',
        description: 'Delayed reminders before a task is due or an appointment starts',
        scopes: [],
        queue: QueueName.Automation,
        jobs: [JobName.FireReminder, JobName.ReminderDue],
      },
    ];
    const custom = this.customActions.names().map((name) => ({
      kind: 'custom-action' as const,
      name: `custom:${name}`,
      description: 'Registered in TypeScript',
      scopes: [],
    }));

    return [...builtIn, ...custom];
  }

  private schedules(): CatalogTrigger[] {
    return [
      {
        kind: 'schedule',
        name: 'nightly-full-sync',
        cron: this.config.NIGHTLY_SYNC_CRON,
        timezone: "the location's own",
        queue: QueueName.LocationSync,
        job: JobName.SyncLocation,
      },
      {
        kind: 'schedule',
        name: 'stale-lead-scan',
        cron: this.config.AUTOMATION_STALE_SCAN_CRON,
        timezone: 'UTC',
        queue: QueueName.Automation,
        job: JobName.ScanStaleLeads,
      },
      { kind: 'timer', name: 'reminder', queue: QueueName.Automation, job: JobName.FireReminder },
    ];
  }
}

function webhookTriggers(): CatalogTrigger[] {
  return Object.entries(WEBHOOK_EVENT_QUEUES).map(([eventType, queue]) => ({
    kind: 'webhook',
    eventType: eventType as WebhookEventType,
    queue,
  }));
}

function ruleTriggers(): CatalogTrigger[] {
  return Object.entries(RULE_TRIGGER_SOURCES).map(([event, from]) => ({
    kind: 'rule-trigger',
    event: event as Rule['trigger']['event'],
    from,
  }));
}
