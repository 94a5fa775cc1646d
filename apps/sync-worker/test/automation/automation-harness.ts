import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Appointment, Contact, Task } from '@sm/entities';
import { JobName, QueueName, syncCompletedQueue } from '@sm/queues';
import { buildSyncCompletedEvent, SyncCompletedEvent } from '@sm/sync-events';

import { AUTOMATION_CONSUMER } from '../../src/automation/automation.config';
import { connectLocations } from '../support/connections';
import { SyncWorkerStack } from '../support/sync-worker-stack';

export const SERVICE_TOKEN = 'automation-e2e-service-token-0123456789abcdef';

/** A sync worker booted in-process on a scratch database and queue prefix. */
export interface AutomationHarness {
  app: INestApplication;
  url: string;
  dataSource: DataSource;
  queues: { events: Queue; automation: Queue; notifications: Queue };
  close(): Promise<void>;
}

export async function startAutomationHarness(
  env: Record<string, string> = {},
): Promise<AutomationHarness> {
  const eventsQueue = syncCompletedQueue(AUTOMATION_CONSUMER);
  // Nothing here calls GHL or the auth service: the stack leaves both unreachable.
  const stack = await new SyncWorkerStack({
    name: 'auto',
    serviceToken: SERVICE_TOKEN,
    queues: [eventsQueue, QueueName.Automation, QueueName.Notifications],
    env: { LOG_LEVEL: 'warn', AUTOMATION_SETTINGS_TTL_MS: '0', ...env },
  }).start();

  return {
    app: stack.app,
    url: stack.url,
    dataSource: stack.dataSource,
    queues: {
      events: stack.queues[eventsQueue],
      automation: stack.queues[QueueName.Automation],
      notifications: stack.queues[QueueName.Notifications],
    },
    close: () => stack.stop(),
  };
}

/** What the relay would publish after a sync of one contact; the same event id is a redelivery. */
export function contactEvent(locationId: string, contactId: string): SyncCompletedEvent {
  return buildSyncCompletedEvent({ locationId, scope: 'contact', contactId, trigger: 'webhook' });
}

/** Delivers events as the relay does (job id = event id) and waits until all were handled. */
export async function deliver(harness: AutomationHarness, events: SyncCompletedEvent[]) {
  await harness.queues.events.addBulk(
    events.map((event) => ({
      name: JobName.SyncCompleted,
      data: event,
      opts: { jobId: event.eventId },
    })),
  );
  await drained(harness.queues.events);
}

export async function drained(queue: Queue, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'failed');
    if (counts.failed > 0) {
      const [job] = await queue.getFailed(0, 0);
      throw new Error(`${queue.name}: ${counts.failed} jobs failed: ${job?.failedReason}`);
    }
    if (counts.waiting + counts.active + counts.prioritized === 0) return;
    if (Date.now() > deadline) throw new Error(`${queue.name} did not drain`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function enableRule(
  harness: AutomationHarness,
  locationId: string,
  ruleId: string,
  overrides?: Record<string, unknown>,
): Promise<Response> {
  return fetch(`${harness.url}/api/v1/automation/locations/${locationId}/rules/${ruleId}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true, overrides }),
  });
}

export async function connect(harness: AutomationHarness, locationId: string, scopes: string[]) {
  await connectLocations(harness.dataSource, [locationId], scopes);
}

const versions = () => {
  const now = new Date();

  return { sourceVersionAt: now, firstVersionAt: now, syncedAt: now };
};

export function saveContact(harness: AutomationHarness, contact: Partial<Contact>) {
  return harness.dataSource.getRepository(Contact).save({
    name: 'Ada Lovelace',
    ghlDateAdded: new Date(),
    tags: [],
    customFields: {},
    ...versions(),
    ...contact,
  });
}

export function saveTask(harness: AutomationHarness, task: Partial<Task>) {
  return harness.dataSource
    .getRepository(Task)
    .save({ title: 'Call back', completed: false, ...versions(), ...task });
}

export function saveAppointment(harness: AutomationHarness, appointment: Partial<Appointment>) {
  return harness.dataSource
    .getRepository(Appointment)
    .save({ title: 'Roof survey', status: 'booked', ...versions(), ...appointment });
}
