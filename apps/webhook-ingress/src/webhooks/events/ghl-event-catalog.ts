import { z } from 'zod';

import { JobName, QueueName, WebhookEventType } from '@sm/queues';

import {
  appEventSchema,
  appointmentEventSchema,
  contactEventSchema,
  noteEventSchema,
  taskEventSchema,
} from './ghl-event-schemas';

export type DeliveryQueue = typeof QueueName.WebhookEvents | typeof QueueName.ConnectionEvents;

/** Where a known event type goes, and the schema its payload is read with. */
export interface EventRoute {
  queue: DeliveryQueue;
  jobName: JobName;
  schema: z.ZodType;
  /** The fields without which the event cannot be routed (a schema issue elsewhere is not). */
  routingFields: readonly string[];
}

const syncWorker = (schema: z.ZodType): EventRoute => ({
  queue: QueueName.WebhookEvents,
  jobName: JobName.ProcessWebhook,
  schema,
  routingFields: ['type', 'locationId'],
});

const authService = (jobName: JobName): EventRoute => ({
  queue: QueueName.ConnectionEvents,
  jobName,
  schema: appEventSchema,
  routingFields: ['type', 'locationId', 'companyId'],
});

/**
 * Every event type the product acts on. Anything else GHL sends (opportunities, conversations,
 * or types added later) is recorded and acknowledged as `ignored`, never refused: a refusal
 * would make GHL retry, and the nightly full sync catches up anyway.
 *
 * GHL's AppointmentUpdate and AppointmentDelete examples say `"type": "AppointmentCreate"`, an
 * error in GHL's docs; routing goes by `type` and the sync worker re-reads the appointment, so
 * such a delivery is processed correctly under either name.
 */
export const EVENT_ROUTES: Readonly<Record<WebhookEventType, EventRoute>> = {
  ContactCreate: syncWorker(contactEventSchema),
  ContactUpdate: syncWorker(contactEventSchema),
  ContactDelete: syncWorker(contactEventSchema),
  ContactDndUpdate: syncWorker(contactEventSchema),
  ContactTagUpdate: syncWorker(contactEventSchema),
  TaskCreate: syncWorker(taskEventSchema),
  TaskComplete: syncWorker(taskEventSchema),
  TaskDelete: syncWorker(taskEventSchema),
  NoteCreate: syncWorker(noteEventSchema),
  NoteUpdate: syncWorker(noteEventSchema),
  NoteDelete: syncWorker(noteEventSchema),
  AppointmentCreate: syncWorker(appointmentEventSchema),
  AppointmentUpdate: syncWorker(appointmentEventSchema),
  AppointmentDelete: syncWorker(appointmentEventSchema),
  INSTALL: authService(JobName.AppInstalled),
  UNINSTALL: authService(JobName.AppUninstalled),
};

export function routeOf(eventType: string): EventRoute | undefined {
  return Object.hasOwn(EVENT_ROUTES, eventType)
    ? EVENT_ROUTES[eventType as WebhookEventType]
    : undefined;
}
