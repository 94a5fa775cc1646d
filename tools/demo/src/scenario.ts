import { eventually } from '@sm/testing';

import { connectLocation } from './connect-location';
import { RecordKind, RecordsProbe } from './records';
import { SandboxControl } from './sandbox-control';
import { Stack } from './stack';

export interface DemoReport {
  locationId: string;
  scopes: string[];
  records: Record<RecordKind, { synced: number; sandbox: number }>;
  firstSync: { durationMs: number; records: number; recordsPerSecond: number; ghlCalls: number };
  webhooks: { sent: number; accepted: number; forgedRefused: boolean };
  changesApplied: string[];
  notificationsDelivered: number;
  syncCompleted: { published: number; received: number };
  inSync: boolean;
  totalMs: number;
}

const KINDS: RecordKind[] = ['contacts', 'tasks', 'notes', 'appointments'];

/**
 * What `npm start` shows: connect the sandbox location over OAuth, wait for the first full
 * sync, change things in the sandbox (each change sends signed webhooks), wait until
 * SolarMarket's records follow, and report.
 */
export async function runDemoScenario(
  stack: Stack,
  probe: RecordsProbe,
  startedAt: number,
  timeoutMs = 240_000,
): Promise<DemoReport> {
  const sandbox = new SandboxControl(stack.urls.sandbox);
  const { locationId, scopes } = await connectLocation(stack.urls.auth);

  const run = await eventually(
    async () => {
      const latest = await probe.latestLocationRun(locationId);
      if (latest?.status === 'failed') throw new Error('the first sync failed: see tmp/demo/logs');

      return latest?.status === 'succeeded' ? latest : undefined;
    },
    timeoutMs,
    'the first full sync',
  );
  const firstSyncRecords = KINDS.reduce((sum, kind) => sum + (run.counts[kind] ?? 0), 0);
  const durationMs = run.durationMs ?? 1;

  const changes = await applyChanges(sandbox, probe, locationId, stack);
  await everyEventReachedTheConsumer(stack, probe, locationId);
  const forgedRefused = await forgedDeliveryIsRefused(sandbox, probe, locationId);

  const records = await compareCounts(sandbox, probe, locationId);
  const inSync = KINDS.every((kind) => records[kind].synced === records[kind].sandbox);

  return {
    locationId,
    scopes,
    records,
    firstSync: {
      durationMs,
      records: firstSyncRecords,
      recordsPerSecond: Math.round((firstSyncRecords / durationMs) * 1000),
      ghlCalls: run.ghlCalls,
    },
    webhooks: {
      sent: changes.webhooksSent,
      accepted: await probe.inboxCount('location_id = $1', [locationId]),
      forgedRefused,
    },
    changesApplied: changes.applied,
    notificationsDelivered: stack.chat.on('team').length,
    syncCompleted: {
      published: await probe.outboxPublished(locationId),
      received: stack.syncEvents.filter((event) => event.locationId === locationId).length,
    },
    inSync,
    totalMs: Date.now() - startedAt,
  };
}

async function applyChanges(
  sandbox: SandboxControl,
  probe: RecordsProbe,
  locationId: string,
  stack: Stack,
): Promise<{ applied: string[]; webhooksSent: number }> {
  const data = await sandbox.export(locationId);
  const openTask = data.tasks.find((task) => !task.completed);
  // Three contacts other than the open task's: the deleted one must not take the task with it.
  const [first, second, third] = data.contacts.filter(
    (contact) => contact.id !== openTask?.contactId,
  );
  if (!first || !second || !third || !openTask) throw new Error('the sandbox dataset is too small');

  const results = [
    await sandbox.change(locationId, {
      kind: 'contact.update',
      contactId: first.id,
      fields: { firstName: 'Renamed', tags: [...(first.tags ?? []), 'demo-updated'] },
    }),
    await sandbox.change(locationId, {
      kind: 'task.create',
      contactId: second.id,
      fields: {
        title: 'Call back about the roof inspection',
        dueDate: new Date(Date.now() + 864e5).toISOString(),
      },
    }),
    await sandbox.change(locationId, {
      kind: 'task.complete',
      contactId: openTask.contactId,
      taskId: openTask.id,
    }),
    await sandbox.change(locationId, {
      kind: 'note.create',
      contactId: second.id,
      fields: { body: 'Customer asked for a battery quote.' },
    }),
    await sandbox.change(locationId, { kind: 'appointment.create', contactId: second.id }),
    await sandbox.change(locationId, { kind: 'contact.delete', contactId: third.id }),
  ];

  await eventually(
    async () => {
      const renamed = await probe.row('contacts', locationId, first.id);
      const deleted = await probe.row('contacts', locationId, third.id);
      const completed = await probe.row('tasks', locationId, openTask.id);
      const created = await probe.row('tasks', locationId, results[1].record.id);
      const noted = await probe.row('notes', locationId, results[3].record.id);
      const booked = await probe.row('appointments', locationId, results[4].record.id);
      const notified = stack.chat.on('team').length > 0;
      const done =
        renamed?.first_name === 'Renamed' &&
        deleted?.deleted_at &&
        completed?.completed === true &&
        created &&
        noted &&
        booked &&
        notified;

      return done ? true : undefined;
    },
    60_000,
    'the changes to reach SolarMarket',
  );

  return {
    applied: [
      'contact.update',
      'task.create',
      'task.complete',
      'note.create',
      'appointment.create',
      'contact.delete',
    ],
    webhooksSent: results.reduce((sum, result) => sum + result.webhooks.length, 0),
  };
}

/** Every sync-completed event written to the outbox reaches the demo's consumer. */
async function everyEventReachedTheConsumer(
  stack: Stack,
  probe: RecordsProbe,
  locationId: string,
): Promise<void> {
  await eventually(
    async () => {
      const written = await probe.outboxCount(locationId);
      const received = stack.syncEvents.filter((event) => event.locationId === locationId);

      return written > 0 && received.length === written ? true : undefined;
    },
    30_000,
    'every sync-completed event to reach its consumer',
  );
}

/** A delivery whose signature does not verify is refused with 401 and leaves no row. */
async function forgedDeliveryIsRefused(
  sandbox: SandboxControl,
  probe: RecordsProbe,
  locationId: string,
): Promise<boolean> {
  const webhookId = `forged-${Date.now()}`;
  const { status } = await sandbox.sendWebhook(
    {
      type: 'ContactDelete',
      locationId,
      id: 'forged-contact',
      webhookId,
      timestamp: new Date().toISOString(),
    },
    'bad',
  );
  const stored = await probe.inboxCount('webhook_id = $1', [webhookId]);

  return status === 401 && stored === 0;
}

async function compareCounts(
  sandbox: SandboxControl,
  probe: RecordsProbe,
  locationId: string,
): Promise<DemoReport['records']> {
  const data = await sandbox.export(locationId);
  const synced = await probe.liveCounts(locationId);

  return Object.fromEntries(
    KINDS.map((kind) => [kind, { synced: synced[kind], sandbox: data[kind].length }]),
  ) as DemoReport['records'];
}
