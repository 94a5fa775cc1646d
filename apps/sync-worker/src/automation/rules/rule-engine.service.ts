import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget } from 'typeorm';

import {
  conditionsHold,
  CreateFollowUpAction,
  NotifyTeamAction,
  Rule,
  ScheduleReminderAction,
} from '@sm/automation-rules';
import { Appointment, Contact, Task } from '@sm/entities';

import { CUSTOM_ACTIONS, CustomActionRegistry } from '../actions/custom-actions';
import { FollowUpService, FollowUpWork } from '../actions/follow-up.service';
import { NoticeWork, TeamNoticeService } from '../actions/team-notice.service';
import {
  ClaimedEffect,
  EffectLedger,
  effectKeyOf,
  EffectRequest,
} from '../effects/effect-ledger.service';
import { ReminderScheduler, ReminderWish } from '../reminders/reminder-scheduler.service';
import { EnabledRule, RuleBook } from './rule-book.service';
import { ContactRecords, RuleSubject, triggeredSubjects } from './rule-subjects';

const HOUR_MS = 3_600_000;

/** An action a rule asked for, waiting for its effect to be claimed. */
interface PendingAction {
  request: EffectRequest;
  rule: Rule;
  actionIndex: number;
  subject: RuleSubject;
}

/**
 * Runs the location's enabled rules over contacts whose records changed: finds each rule's
 * subjects in the records, keeps those whose conditions hold, claims one effect per subject and
 * action (the exactly-once key), then acts. Reminders are reconciled instead: set, moved or
 * cancelled to match the records.
 */
@Injectable()
export class RuleEngine {
  private readonly logger = new Logger(RuleEngine.name);
  /** Per entity, the start of a read of all its columns under their property names. */
  private readonly selectLists = new Map<EntityTarget<unknown>, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: RuleBook,
    private readonly ledger: EffectLedger,
    private readonly followUps: FollowUpService,
    private readonly notices: TeamNoticeService,
    private readonly reminders: ReminderScheduler,
    @Inject(CUSTOM_ACTIONS) private readonly customActions: CustomActionRegistry,
  ) {}

  /** Evaluates the rules for these contacts of one location; returns the effects it acted on. */
  async evaluateContacts(locationId: string, contactIds: string[]): Promise<number> {
    const enabled = await this.rules.enabledFor(locationId);
    if (enabled.length === 0 || contactIds.length === 0) return 0;

    const records = await this.loadRecords(locationId, contactIds, enabled);
    const now = Date.now();
    const pending: PendingAction[] = [];
    const wishes: ReminderWish[] = [];
    for (const contactRecords of records) {
      for (const { rule, enabledAt } of enabled) {
        const subjects = triggeredSubjects(rule, contactRecords, enabledAt, now).filter((subject) =>
          conditionsHold(rule, subject.facts),
        );
        pending.push(...this.actionsFor(locationId, rule, subjects, now));
        wishes.push(...reminderWishes(locationId, rule, contactRecords, subjects, now));
      }
    }
    await this.reminders.reconcile(wishes);

    return this.act(pending);
  }

  /** True when the location has some rule enabled (else its events need no reading at all). */
  async hasRules(locationId: string): Promise<boolean> {
    return (await this.rules.enabledFor(locationId)).length > 0;
  }

  /** Runs one rule over subjects found elsewhere (the stale-lead scan). */
  async applyRule(locationId: string, rule: Rule, subjects: RuleSubject[]): Promise<number> {
    const matching = subjects.filter((subject) => conditionsHold(rule, subject.facts));

    return this.act(this.actionsFor(locationId, rule, matching, Date.now()));
  }

  private actionsFor(
    locationId: string,
    rule: Rule,
    subjects: RuleSubject[],
    now: number,
  ): PendingAction[] {
    const pending: PendingAction[] = [];
    rule.actions.forEach((action, actionIndex) => {
      if (action.type === 'schedule-reminder') return;
      const kind = action.type === 'custom' ? `custom:${action.name}` : action.type;
      const dueAt = action.type === 'create-follow-up' ? followUpDue(action, now) : null;
      for (const subject of subjects) {
        const request: EffectRequest = {
          locationId,
          ruleId: rule.id,
          subjectKey: subject.key,
          actionIndex,
          contactId: subject.contactId,
          kind,
          dueAt,
        };
        pending.push({ request, rule, actionIndex, subject });
      }
    });

    return pending;
  }

  /**
   * Acts on what the rules asked for, once per effect: follow-ups of locations that may not
   * write to GHL are claimed and made in one statement; the rest is claimed, then run.
   */
  private async act(pending: PendingAction[]): Promise<number> {
    if (pending.length === 0) return 0;
    const followUpLocations = pending
      .filter((item) => item.rule.actions[item.actionIndex].type === 'create-follow-up')
      .map((item) => item.request.locationId);
    const writers = await this.followUps.locationsThatMayWrite(followUpLocations);
    const isOnOurSide = (item: PendingAction) =>
      item.rule.actions[item.actionIndex].type === 'create-follow-up' &&
      !writers.has(item.request.locationId);
    const onOurSide = pending.filter(isOnOurSide).map((item) => ({
      request: item.request,
      action: item.rule.actions[item.actionIndex] as CreateFollowUpAction,
      facts: item.subject.facts,
    }));

    // Independent of each other; a failure of either fails the batch, and its retry finds the
    // other's effects done.
    const [made, acted] = await Promise.allSettled([
      this.followUps.createOnOurSide(onOurSide),
      this.claimAndAct(pending.filter((item) => !isOnOurSide(item))),
    ]);
    if (made.status === 'rejected') throw made.reason;
    if (acted.status === 'rejected') throw acted.reason;

    return made.value.length + acted.value;
  }

  /** Claims the effects, then runs what was claimed; a failure gives its claims back. */
  private async claimAndAct(pending: PendingAction[]): Promise<number> {
    if (pending.length === 0) return 0;
    const claimed = await this.ledger.claim(pending.map((item) => item.request));
    if (claimed.length === 0) return 0;

    const byKey = new Map(pending.map((item) => [effectKeyOf(item.request), item]));
    const followUps: FollowUpWork[] = [];
    const notices: NoticeWork[] = [];
    const custom: Array<{ effect: ClaimedEffect; item: PendingAction }> = [];
    for (const effect of claimed) {
      const item = byKey.get(effectKeyOf(effect)) as PendingAction;
      const action = item.rule.actions[item.actionIndex];
      if (action.type === 'create-follow-up') {
        followUps.push({
          effect,
          action: action as CreateFollowUpAction,
          facts: item.subject.facts,
        });
      } else if (action.type === 'notify-team') {
        notices.push({ effect, action: action as NotifyTeamAction, subject: item.subject.target });
      } else {
        custom.push({ effect, item });
      }
    }
    try {
      // Independent of each other; a failure of either fails the batch, and its retry finds the
      // other's effects done.
      const results = await Promise.allSettled([
        this.followUps.create(followUps),
        this.notices.send(notices),
      ]);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw (failure as PromiseRejectedResult).reason;
      for (const { effect, item } of custom) await this.runCustom(effect, item);
    } catch (error) {
      // Whatever was claimed and not done yet is given back, so the retry takes it at once
      // instead of waiting for the lease to run out.
      await this.ledger.release(claimed.map((effect) => effect.id));
      throw error;
    }

    return claimed.length;
  }

  private async runCustom(effect: ClaimedEffect, item: PendingAction): Promise<void> {
    const action = item.rule.actions[item.actionIndex];
    if (action.type !== 'custom') return;
    const handler = this.customActions.get(action.name);
    if (!handler) {
      // Kept pending: deploying the handler later runs it once the lease has run out.
      this.logger.error(
        { locationId: effect.locationId, ruleId: effect.ruleId, action: action.name },
        'custom action not registered',
      );
      await this.ledger.release([effect.id]);

      return;
    }
    try {
      const outcome = await handler({
        locationId: effect.locationId,
        contactId: effect.contactId,
        rule: item.rule,
        action,
        facts: item.subject.facts,
        effectId: effect.id,
        isRetry: effect.isRetry,
      });
      await this.ledger.complete([effect.id], outcome ?? null);
    } catch (error) {
      await this.ledger.release([effect.id]);
      throw error;
    }
  }

  /**
   * The contacts' records in three reads. Rows are selected under the entities' property names
   * (plain objects shaped as the entities) rather than hydrated as entities: on every event this
   * is the largest part of the work, and the rules only read fields.
   */
  private async loadRecords(
    locationId: string,
    contactIds: string[],
    enabled: EnabledRule[],
  ): Promise<ContactRecords[]> {
    const events = new Set(enabled.map(({ rule }) => rule.trigger.event));
    const needsTasks = events.has('task.completed') || events.has('task.open');
    const needsAppointments = events.has('appointment.status');
    const ofContacts = 'location_id = $1 AND contact_id = ANY($2)';
    const [contacts, tasks, appointments] = await Promise.all([
      this.select<Contact>(Contact, 'location_id = $1 AND id = ANY($2) AND deleted_at IS NULL', [
        locationId,
        contactIds,
      ]),
      needsTasks ? this.select<Task>(Task, ofContacts, [locationId, contactIds]) : [],
      needsAppointments
        ? this.select<Appointment>(Appointment, ofContacts, [locationId, contactIds])
        : [],
    ]);
    const tasksOf = groupBy(tasks, (task) => task.contactId);
    const appointmentsOf = groupBy(appointments, (appointment) => appointment.contactId);

    return contacts.map((contact) => ({
      contact,
      tasks: tasksOf.get(contact.id) ?? [],
      appointments: appointmentsOf.get(contact.id) ?? [],
    }));
  }

  private select<T>(entity: EntityTarget<T>, where: string, params: unknown[]): Promise<T[]> {
    let head = this.selectLists.get(entity);
    if (!head) {
      const metadata = this.dataSource.getMetadata(entity);
      const columns = metadata.columns.map(
        (column) => `"${column.databaseName}" AS "${column.propertyName}"`,
      );
      head = `SELECT ${columns.join(', ')} FROM "${metadata.tableName}" WHERE `;
      this.selectLists.set(entity, head);
    }

    return this.dataSource.query(head + where, params);
  }
}

function groupBy<T>(rows: T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(keyOf(row));
    if (group) group.push(row);
    else groups.set(keyOf(row), [row]);
  }

  return groups;
}

/**
 * A reminder rule wants a timer for each subject that matches (and none for the rest of the
 * contact's tasks or appointments: those timers are cancelled).
 */
function reminderWishes(
  locationId: string,
  rule: Rule,
  records: ContactRecords,
  matching: RuleSubject[],
  now: number,
): ReminderWish[] {
  const wishes: ReminderWish[] = [];
  rule.actions.forEach((action, actionIndex) => {
    if (action.type !== 'schedule-reminder') return;
    const wanted = new Map(matching.map((subject) => [subject.target?.id, subject]));
    const targets =
      rule.trigger.event === 'task.open'
        ? records.tasks.map((task) => ({ kind: 'task' as const, id: task.id }))
        : records.appointments.map((appointment) => ({
            kind: 'appointment' as const,
            id: appointment.id,
          }));
    for (const target of targets) {
      const subject = wanted.get(target.id);
      wishes.push({
        locationId,
        contactId: records.contact.id,
        ruleId: rule.id,
        actionIndex,
        subject: target,
        dueAt: subject?.dueAt ?? null,
        leadMinutes: (action as ScheduleReminderAction).leadMinutes,
        now,
      });
    }
  });

  return wishes;
}

function followUpDue(action: CreateFollowUpAction, now: number): Date {
  // Whole seconds: GHL answers dates without milliseconds, and a retry looks for its twin by it.
  const due = now + (action.dueInHours ?? 24) * HOUR_MS;

  return new Date(Math.floor(due / 1000) * 1000);
}
