import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import {
  Appointment,
  Connection,
  ConnectionStatus,
  Contact,
  dataSourceOptions,
  Task,
} from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl, syncCompletedQueue } from '@sm/queues';
import { listeningPort, startService } from '@sm/platform';
import { buildSyncCompletedEvent, SyncCompletedEvent } from '@sm/sync-events';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import { AppModule } from '../../src/app.module';
import { AUTOMATION_CONSUMER } from '../../src/automation/automation.config';
import { syncWorkerEnv } from '../../src/config/sync-worker.config';

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
  const database: TestDatabase = await createTestDatabase();
  const prefix = uniqueQueuePrefix('auto');
  const dataSource = new DataSource({ ...dataSourceOptions(database.url) });
  await dataSource.initialize();

  const config = loadConfig(syncWorkerEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    // Nothing here calls GHL or the auth service: loopback ports that refuse.
    GHL_API_BASE_URL: 'http://127.0.0.1:9',
    AUTH_SERVICE_URL: 'http://127.0.0.1:9',
    SERVICE_TOKEN,
    AUTOMATION_SETTINGS_TTL_MS: '0',
    ...env,
  });
  const app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
  const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
  const queue = (name: string) => new Queue(name, { connection, prefix });
  const queues = {
    events: queue(syncCompletedQueue(AUTOMATION_CONSUMER)),
    automation: queue(QueueName.Automation),
    notifications: queue(QueueName.Notifications),
  };

  return {
    app,
    url: `http://127.0.0.1:${listeningPort(app)}`,
    dataSource,
    queues,
    close: async () => {
      await app.close();
      for (const q of Object.values(queues)) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close();
      }
      await dataSource.destroy();
      await database.drop();
    },
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
  await harness.dataSource
    .getRepository(Connection)
    .save({ locationId, status: ConnectionStatus.Active, scopes });
}

const versions = () => ({ sourceVersionAt: new Date(), syncedAt: new Date() });

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
