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
}

export type AdminAlertKind =
  'connection-reauth-required' | 'job-parked' | 'notification-failed' | 'ghl-budget-exhausted';

export interface AdminAlertJob {
  kind: AdminAlertKind;
  locationId: string | null;
  /** What makes this alert unique: the same key is sent once. */
  dedupeKey: string;
  summary: string;
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
}
