import { QueueName } from './queue-names';

/**
 * Every GHL webhook event type the product acts on, with the queue the ingress routes it to.
 * The ingress's routing table is typed by this list, and the operations catalog lists it as the
 * platform's triggers, so the two cannot drift. Any other type is recorded and ignored.
 */
export const WEBHOOK_EVENT_QUEUES = {
  ContactCreate: QueueName.WebhookEvents,
  ContactUpdate: QueueName.WebhookEvents,
  ContactDelete: QueueName.WebhookEvents,
  ContactDndUpdate: QueueName.WebhookEvents,
  ContactTagUpdate: QueueName.WebhookEvents,
  TaskCreate: QueueName.WebhookEvents,
  TaskComplete: QueueName.WebhookEvents,
  TaskDelete: QueueName.WebhookEvents,
  NoteCreate: QueueName.WebhookEvents,
  NoteUpdate: QueueName.WebhookEvents,
  NoteDelete: QueueName.WebhookEvents,
  AppointmentCreate: QueueName.WebhookEvents,
  AppointmentUpdate: QueueName.WebhookEvents,
  AppointmentDelete: QueueName.WebhookEvents,
  INSTALL: QueueName.ConnectionEvents,
  UNINSTALL: QueueName.ConnectionEvents,
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_QUEUES;

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENT_QUEUES) as WebhookEventType[];
