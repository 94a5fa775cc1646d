/**
 * An automation rule: when a trigger happens to a contact (or to one of its tasks or
 * appointments), and every condition holds, the actions run, each at most once per subject.
 * Rules are data (YAML or JSON files validated by `templates/rule.schema.json`); the types below
 * are what the validator hands back.
 */

/** A new contact, seen within `withinHours` of its creation in GHL (default 24). */
export interface ContactCreatedTrigger {
  event: 'contact.created';
  withinHours?: number;
}

/** A task of the contact was completed. */
export interface TaskCompletedTrigger {
  event: 'task.completed';
}

/** An open task with a due date: the trigger of task reminders. */
export interface TaskOpenTrigger {
  event: 'task.open';
}

/** An appointment of the contact is in one of `statuses` (GHL's appointmentStatus values). */
export interface AppointmentStatusTrigger {
  event: 'appointment.status';
  statuses: string[];
}

/** The nightly scan found no touch (change, note, task, appointment) for `staleDays` days. */
export interface ContactStaleTrigger {
  event: 'contact.stale';
  staleDays: number;
}

export type RuleTrigger =
  | ContactCreatedTrigger
  | TaskCompletedTrigger
  | TaskOpenTrigger
  | AppointmentStatusTrigger
  | ContactStaleTrigger;

export type TriggerEvent = RuleTrigger['event'];

/**
 * A test on one field of the facts: `contact.tags`, `contact.source`, `contact.assignedTo`,
 * `contact.customFields.<fieldId>`, `task.assignedTo`, `appointment.calendarId`… Exactly one
 * operator per condition. Strings compare case-insensitively; a list field (tags) matches
 * `equals`/`in` when any of its items does. The fields each trigger gives are `RULE_FIELDS` and
 * `TRIGGER_SUBJECTS`; the validator refuses any other.
 */
export interface RuleCondition {
  field: string;
  equals?: string | number | boolean;
  notEquals?: string | number | boolean;
  in?: Array<string | number>;
  notIn?: Array<string | number>;
  includesAny?: string[];
  includesAll?: string[];
  excludesAny?: string[];
  exists?: boolean;
  greaterThan?: number;
  lessThan?: number;
}

/** A follow-up task: in GHL when the connection may write contacts, else a SolarMarket task. */
export interface CreateFollowUpAction {
  type: 'create-follow-up';
  /** `{{contact.name}}`, `{{contact.firstName}}`… are filled from the facts. */
  title: string;
  body?: string;
  /** Due this long after the rule first matched (default 24). */
  dueInHours?: number;
  /** `contact-owner` (the contact's assigned user, the default) or a GHL user id. */
  assignTo?: string;
}

/** A notice to the location's team, through the notification service. */
export interface NotifyTeamAction {
  type: 'notify-team';
  /** `task-completed` sends the platform's task notice; any other word a team notice. */
  notice: string;
}

/** Reminders before the subject's date (a task's due date, an appointment's start). */
export interface ScheduleReminderAction {
  type: 'schedule-reminder';
  /** How long before the date each reminder fires, in minutes. */
  leadMinutes: number[];
}

/** An action written in TypeScript and registered by name (see the README's extension point). */
export interface CustomAction {
  type: 'custom';
  name: string;
  with?: Record<string, unknown>;
}

export type RuleAction =
  CreateFollowUpAction | NotifyTeamAction | ScheduleReminderAction | CustomAction;

export interface Rule {
  /** Lower-case words and dashes; unique among the built-ins and the operator's rules. */
  id: string;
  name: string;
  description?: string;
  trigger: RuleTrigger;
  /** Every condition must hold; none means always. */
  conditions?: RuleCondition[];
  actions: RuleAction[];
}

/** What an operator may change per location: any trigger field, the conditions, action fields. */
export interface RuleOverrides {
  trigger?: Record<string, unknown>;
  conditions?: RuleCondition[];
  /** Merged into the action at the same position. */
  actions?: Array<Record<string, unknown>>;
}
