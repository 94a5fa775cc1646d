import { ContactActivity } from './activity/contact-activity.entity';
import { AutomationEffect } from './automation/automation-effect.entity';
import { AutomationRuleSetting } from './automation/automation-rule-setting.entity';
import { SolarmarketTask } from './automation/solarmarket-task.entity';
import { ConnectionToken } from './connections/connection-token.entity';
import { Connection } from './connections/connection.entity';
import { OAuthState } from './connections/oauth-state.entity';
import { TokenUnreadableEpisode } from './connections/token-unreadable-episode.entity';
import { Appointment } from './contacts/appointment.entity';
import { Contact } from './contacts/contact.entity';
import { Note } from './contacts/note.entity';
import { Task } from './contacts/task.entity';
import {
  ContactHealthScore,
  ContactHealthScoreHistory,
} from './health-score/contact-health-score.entity';
import { HealthScoreSettings } from './health-score/health-score-settings.entity';
import { Notification } from './notifications/notification.entity';
import { LocationCustomField } from './sync/location-custom-field.entity';
import { NightlySyncDate } from './sync/nightly-sync-date.entity';
import { OutboxEvent } from './sync/outbox-event.entity';
import { ParkedJob } from './sync/parked-job.entity';
import { SyncRun } from './sync/sync-run.entity';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity';

/** Every entity, for the data source. */
export const ALL_ENTITIES = [
  Connection,
  ConnectionToken,
  OAuthState,
  TokenUnreadableEpisode,
  Contact,
  Task,
  Note,
  Appointment,
  WebhookDelivery,
  SyncRun,
  OutboxEvent,
  ParkedJob,
  Notification,
  LocationCustomField,
  NightlySyncDate,
  ContactActivity,
  HealthScoreSettings,
  ContactHealthScore,
  ContactHealthScoreHistory,
  AutomationRuleSetting,
  AutomationEffect,
  SolarmarketTask,
];
