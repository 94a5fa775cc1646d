/**
 * Job names and their typed payloads, per queue. Payloads carry ids, never personal data or
 * tokens: a processor re-reads what it needs from Postgres or GHL.
 */

export const JobName = {
  ProcessWebhook: 'webhook.process',
  AppInstalled: 'app.installed',
  AppUninstalled: 'app.uninstalled',
  SyncContact: 'contact.sync',
  SyncLocation: 'location.full-sync',
  /** The periodic sweep of a location's tasks (GHL sends no webhook for a task edit). */
  SweepTasks: 'location.task-sweep',
  RefreshToken: 'token.refresh',
  TaskCompleted: 'task.completed',
  AdminAlert: 'admin.alert',
  SyncCompleted: 'sync.completed',
  /** notifications: a rule told the team about a contact (new lead, no-show, stale lead…). */
  TeamNotice: 'team.notice',
  /** notifications: the team notices of one evaluation of the rules, in one job. */
  TeamNotices: 'team.notices',
  /** notifications: a reminder of an open task's due date or an appointment's start. */
  ReminderDue: 'reminder.due',
  /** automation: a reminder timer went off (a delayed job, re-checked before it notifies). */
  FireReminder: 'reminder.fire',
  /** automation: the nightly scan for leads nobody touched in N days. */
  ScanStaleLeads: 'automation.stale-scan',
} as const;

export type JobName = (typeof JobName)[keyof typeof JobName];

export interface ProcessWebhookJob {
  /** Row id in `webhook_inbox`; the processor loads the payload from there. */
  inboxId: string;
  locationId: string | null;
  eventType: string;
}

export interface ConnectionEventJob {
  inboxId: string;
  locationId: string | null;
  companyId: string | null;
}

export type ContactSyncCause = 'webhook' | 'location-sync' | 'manual';

export interface SyncContactJob {
  locationId: string;
  contactId: string;
  cause: ContactSyncCause;
  /** The inbox row that caused this fetch, when a webhook did. */
  inboxId?: string;
}

export type LocationSyncTrigger = 'install' | 'nightly' | 'manual';

export interface SyncLocationJob {
  locationId: string;
  trigger: LocationSyncTrigger;
}

export interface SweepTasksJob {
  locationId: string;
}

export interface RefreshTokenJob {
  locationId: string;
}

export interface TaskCompletedJob {
  locationId: string;
  contactId: string;
  taskId: string;
  /**
   * Which completion (ISO-8601, the record's `completed_at`): a task completed again after a
   * reopen is a new one. Jobs added before this field existed lack it; the sync worker always
   * sets it.
   */
  completedAt?: string;
}

export type AdminAlertKind =
  | 'connection-reauth-required'
  | 'connection-token-unreadable'
  | 'job-parked'
  | 'notification-failed'
  | 'ghl-budget-exhausted';

export interface AdminAlertJob {
  kind: AdminAlertKind;
  locationId: string | null;
  /** What makes this alert unique: the same key is sent once. */
  dedupeKey: string;
  summary: string;
  /**
   * `connection-token-unreadable` only: the id of the key (in `TOKEN_ENCRYPTION_KEYS`) the
   * location's stored token was sealed with. An id, never a key.
   */
  keyId?: string;
}

/**
 * A notice for a location's team from an automation rule (sync-worker → notification-service).
 * `notice` says which: `new-lead`, `no-show`, `stale-lead`, or an operator's own word from a
 * rule file. The receiver re-reads the contact (and the subject: an appointment or a task) from
 * Postgres to render the message; `dedupeKey` is sent once.
 */
export interface TeamNoticeJob {
  locationId: string;
  contactId: string;
  ruleId: string;
  notice: string;
  subject: { kind: 'task' | 'appointment'; id: string } | null;
  dedupeKey: string;
}

/**
 * Many team notices in one job (sync-worker → notification-service), as one evaluation of the
 * rules over a batch of contacts gives them: one job instead of one per notice. Each notice is
 * still sent once per its own `dedupeKey`, however the notices are grouped into jobs.
 */
export interface TeamNoticesJob {
  notices: TeamNoticeJob[];
}

/**
 * A reminder that fell due (sync-worker → notification-service): the task is still open or the
 * appointment still booked when it was sent. `dueAt` is the task's due date or the appointment's
 * start (ISO-8601); `leadMinutes` how long before it the reminder fires.
 */
export interface ReminderDueJob {
  locationId: string;
  contactId: string;
  ruleId: string;
  subject: { kind: 'task' | 'appointment'; id: string };
  dueAt: string;
  leadMinutes: number;
  dedupeKey: string;
}

/** A reminder timer: delayed until `leadMinutes` before `dueAt`; job id stable per subject. */
export interface FireReminderJob {
  locationId: string;
  contactId: string;
  ruleId: string;
  subject: { kind: 'task' | 'appointment'; id: string };
  dueAt: string;
  leadMinutes: number;
}

export interface ScanStaleLeadsJob {
  /** One location, or every location with a stale-lead rule enabled when absent. */
  locationId?: string;
}

export interface JobPayloads {
  [JobName.ProcessWebhook]: ProcessWebhookJob;
  [JobName.AppInstalled]: ConnectionEventJob;
  [JobName.AppUninstalled]: ConnectionEventJob;
  [JobName.SyncContact]: SyncContactJob;
  [JobName.SyncLocation]: SyncLocationJob;
  [JobName.SweepTasks]: SweepTasksJob;
  [JobName.RefreshToken]: RefreshTokenJob;
  [JobName.TaskCompleted]: TaskCompletedJob;
  [JobName.AdminAlert]: AdminAlertJob;
  [JobName.TeamNotice]: TeamNoticeJob;
  [JobName.TeamNotices]: TeamNoticesJob;
  [JobName.ReminderDue]: ReminderDueJob;
  [JobName.FireReminder]: FireReminderJob;
  [JobName.ScanStaleLeads]: ScanStaleLeadsJob;
}
