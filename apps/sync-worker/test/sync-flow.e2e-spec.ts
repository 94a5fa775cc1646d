import { IsNull } from 'typeorm';

import {
  Appointment,
  Connection,
  Contact,
  ContactActivity,
  Note,
  ParkedJob,
  SyncRun,
  Task,
} from '@sm/entities';
import { JobKey, JobName, QueueName } from '@sm/queues';
import { isSyncCompletedEventV1 } from '@sm/sync-events';
import { eventually } from '@sm/testing';

import { ContactSyncService } from '../src/contact-sync/contact-sync.service';
import { RecordWriter } from '../src/records/record-writer.service';
import {
  appointmentFields,
  byId,
  contactFields,
  expectedAppointment,
  expectedContact,
  expectedNote,
  expectedTask,
  GhlRecord,
  noteFields,
  taskFields,
} from './support/ghl-records';
import { eventuallySucceededRun } from './support/sync-runs';
import { useSyncWorkerStack } from './support/sync-worker-stack';

const LOCATION = 'SMsyncE2eLocation01';
/** Its token is refused by GHL until the test mends it. */
const REFUSED = 'SMsyncE2eRefused001';
/** Its connection needs re-auth: the token endpoint answers 409. */
const REAUTH = 'SMsyncE2eReauth0001';
/** Never synced whole: its contacts' children are new to the worker. */
const UNSYNCED = 'SMsyncE2eUnsynced01';
const SERVICE_TOKEN = 'e2e-service-token-0123456789abcdef';
const CONSUMER = 'e2e-reports';

describe('sync worker against the GHL sandbox', () => {
  const refusedToken = new Set([REFUSED]);
  const stack = useSyncWorkerStack({
    name: 'sync',
    serviceToken: SERVICE_TOKEN,
    ghl: {
      locations: { [LOCATION]: 25, [REFUSED]: 2, [REAUTH]: 2, [UNSYNCED]: 6 },
      refusedToken,
      reauthRequired: new Set([REAUTH]),
    },
    connections: {
      locations: [LOCATION, REFUSED, REAUTH, UNSYNCED],
      scopes: ['contacts.readonly'],
    },
    queues: [QueueName.LocationSync, QueueName.ContactSync, QueueName.Notifications],
    webhooks: true,
    consumer: CONSUMER,
    env: {
      LOG_LEVEL: 'warn',
      SYNC_COMPLETED_CONSUMERS: CONSUMER,
      CONTACT_SYNC_COALESCE_MS: '100',
      OUTBOX_POLL_MS: '100',
    },
  });
  /** What the registered consumer has got so far. */
  const events = () => stack.consumer?.events ?? [];
  const exportSandbox = (locationId = LOCATION) => stack.sandbox.export(locationId);
  const change = (body: Record<string, unknown>) => stack.sandbox.change(LOCATION, body);
  const contactRuns = (contactId: string) =>
    stack.dataSource.getRepository(SyncRun).countBy({ scope: 'contact', contactId });
  const liveContactIds = async (locationId: string) =>
    new Set(
      (
        await stack.dataSource.getRepository(Contact).findBy({ locationId, deletedAt: IsNull() })
      ).map((contact) => contact.id),
    );

  it('makes Postgres equal the sandbox, field by field, after a full sync', async () => {
    await stack.queues[QueueName.LocationSync].add(JobName.SyncLocation, {
      locationId: LOCATION,
      trigger: 'install',
    });

    const run = await eventuallySucceededRun(
      stack.dataSource,
      { scope: 'location' },
      45_000,
      'the full sync',
    );
    const ghl = await exportSandbox();

    const contacts = await stack.dataSource
      .getRepository(Contact)
      .find({ where: { locationId: LOCATION } });
    expect(byId(contacts).map(contactFields)).toEqual(byId(ghl.contacts).map(expectedContact));
    const tasks = await stack.dataSource.getRepository(Task).find();
    expect(byId(tasks).map(taskFields)).toEqual(byId(ghl.tasks).map(expectedTask));
    const notes = await stack.dataSource.getRepository(Note).find();
    expect(byId(notes).map(noteFields)).toEqual(byId(ghl.notes).map(expectedNote));
    const appointments = await stack.dataSource.getRepository(Appointment).find();
    expect(byId(appointments).map(appointmentFields)).toEqual(
      byId(ghl.appointments).map(expectedAppointment),
    );
    expect(run.counts).toMatchObject({
      contacts: ghl.contacts.length,
      tasks: ghl.tasks.length,
      notes: ghl.notes.length,
      appointments: ghl.appointments.length,
    });
    expect(run.ghlCalls).toBeGreaterThan(ghl.contacts.length);
  });

  it('schedules the nightly sync at midnight in the location’s own zone, once', async () => {
    const ghl = await exportSandbox();

    const schedulers = await stack.queues[QueueName.LocationSync].getJobSchedulers();

    const ofLocation = schedulers.filter((scheduler) => scheduler.key.endsWith(`:${LOCATION}`));
    expect(ofLocation.map((scheduler) => scheduler.key).sort()).toEqual(
      [JobKey.nightlySync(LOCATION), JobKey.taskSweep(LOCATION)].sort(),
    );
    expect(
      ofLocation.find((scheduler) => scheduler.key === JobKey.nightlySync(LOCATION)),
    ).toMatchObject({
      key: JobKey.nightlySync(LOCATION),
      pattern: '0 0,1 * * *',
      tz: ghl.location.timezone,
    });
    const stored = await stack.dataSource
      .getRepository(Connection)
      .findOneByOrFail({ locationId: LOCATION });
    expect(stored.timezone).toBe(ghl.location.timezone);
  });

  it('delivers sync-completed for the location to the registered consumer', async () => {
    const run = await stack.dataSource
      .getRepository(SyncRun)
      .findOneByOrFail({ scope: 'location' });

    const event = await eventually(
      async () => events().find((candidate) => candidate.syncRunId === run.id),
      10_000,
      'the location event',
    );

    expect(isSyncCompletedEventV1(event)).toBe(true);
    expect(event).toMatchObject({ scope: 'location', locationId: LOCATION, trigger: 'install' });
  });

  it('fetches and upserts a contact that a webhook says changed', async () => {
    const target = (await exportSandbox()).contacts[0];

    await change({
      kind: 'contact.update',
      contactId: target.id,
      fields: { firstName: 'Renamed', city: 'Golden' },
    });

    const stored = await eventually(
      async () => {
        const row = await stack.dataSource
          .getRepository(Contact)
          .findOneBy({ locationId: LOCATION, id: target.id });

        return row?.firstName === 'Renamed' ? row : undefined;
      },
      15_000,
      'the updated contact',
    );
    expect(stored.city).toBe('Golden');
    const event = await eventually(
      async () => events().find((candidate) => candidate.contactId === target.id),
      10_000,
      'the contact event',
    );
    expect(event).toMatchObject({ scope: 'contact', trigger: 'webhook', contactDeleted: false });
  });

  it('tombstones a contact GHL deleted, with its children', async () => {
    const ghl = await exportSandbox();
    const target = ghl.contacts.find(
      (contact, index) => index > 0 && ghl.tasks.some((task) => task.contactId === contact.id),
    ) as GhlRecord;

    await change({ kind: 'contact.delete', contactId: target.id });

    const stored = await eventually(
      async () => {
        const row = await stack.dataSource
          .getRepository(Contact)
          .findOneBy({ locationId: LOCATION, id: target.id });

        return row?.deletedAt ? row : undefined;
      },
      15_000,
      'the tombstone',
    );
    expect(stored.firstName).not.toBeNull();
    const tasks = await stack.dataSource
      .getRepository(Task)
      .findBy({ locationId: LOCATION, contactId: target.id });
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.filter((task) => task.deletedAt === null)).toEqual([]);
  });

  it('queues one task.completed notification when a task is completed', async () => {
    const ghl = await exportSandbox();
    const open = ghl.tasks.find(
      (task) => !task.completed && ghl.contacts.some((c) => c.id === task.contactId),
    ) as GhlRecord;

    await change({ kind: 'task.complete', contactId: open.contactId, taskId: open.id });
    await eventually(
      async () => {
        const row = await stack.dataSource
          .getRepository(Task)
          .findOneBy({ locationId: LOCATION, id: open.id });

        return row?.completed ? row : undefined;
      },
      15_000,
      'the completed task',
    );
    await stack.queues[QueueName.ContactSync].add(JobName.SyncContact, {
      locationId: LOCATION,
      contactId: open.contactId,
      cause: 'manual',
    });
    await eventually(
      async () =>
        (
          await stack.queues[QueueName.ContactSync].getJobCounts(
            'waiting',
            'active',
            'delayed',
            'prioritized',
          )
        ).waiting === 0 &&
        (await stack.queues[QueueName.ContactSync].getActiveCount()) === 0 &&
        (await stack.queues[QueueName.ContactSync].getDelayedCount()) === 0
          ? true
          : undefined,
      15_000,
      'the replayed contact sync',
    );

    const jobs = await stack.queues[QueueName.Notifications].getJobs([
      'waiting',
      'prioritized',
      'delayed',
      'completed',
    ]);
    const notices = jobs.filter(
      (job) => job.name === JobName.TaskCompleted && job.data.taskId === open.id,
    );
    expect(notices.map((job) => job.data)).toEqual([
      {
        locationId: LOCATION,
        contactId: open.contactId,
        taskId: open.id,
        completedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      },
    ]);
  });

  it('fetches again after the running job when an event arrives while it runs', async () => {
    const target = (await exportSandbox()).contacts[2];
    const runsBefore = await contactRuns(target.id);
    await stack.sandbox.faults({ latencyMs: 400 });
    await change({ kind: 'contact.update', contactId: target.id, fields: { lastName: 'First' } });
    await eventually(
      async () =>
        (await stack.queues[QueueName.ContactSync].getActiveCount()) > 0 ? true : undefined,
      10_000,
      'the first contact sync to start',
    );

    await change({ kind: 'contact.update', contactId: target.id, fields: { lastName: 'Second' } });
    await stack.sandbox.faults(null);

    await eventually(
      async () => ((await contactRuns(target.id)) >= runsBefore + 2 ? true : undefined),
      20_000,
      'a second fetch after the running one',
    );
    const stored = await stack.dataSource
      .getRepository(Contact)
      .findOneByOrFail({ locationId: LOCATION, id: target.id });
    expect(stored.lastName).toBe('Second');
  });

  it('puts off the jobs of a location whose token needs re-auth, asking only once', async () => {
    const [first, second] = (await exportSandbox(REAUTH)).contacts;
    const putOff = async (contactId: string) => {
      const job = await stack.queues[QueueName.ContactSync].add(JobName.SyncContact, {
        locationId: REAUTH,
        contactId,
        cause: 'manual',
      });

      return eventually(
        async () => ((await job.getState()) === 'delayed' ? job : undefined),
        10_000,
        'the job put off',
      );
    };
    await putOff(first.id);
    const asked = stack.tokens.requests(REAUTH);

    const later = await putOff(second.id);

    expect(asked).toBe(1);
    expect(stack.tokens.requests(REAUTH)).toBe(asked);
    expect(later.attemptsMade).toBe(0);
    expect(await stack.dataSource.getRepository(ParkedJob).countBy({ locationId: REAUTH })).toBe(0);
  });

  it('parks a job GHL refuses for good, alerts an admin, and replays it on request', async () => {
    const contact = (await exportSandbox(REFUSED)).contacts[0];
    await stack.queues[QueueName.ContactSync].add(JobName.SyncContact, {
      locationId: REFUSED,
      contactId: contact.id,
      cause: 'manual',
    });

    const parked = await eventually(
      async () =>
        (await stack.dataSource.getRepository(ParkedJob).findOneBy({ locationId: REFUSED })) ??
        undefined,
      15_000,
      'the parked job',
    );
    expect(parked).toMatchObject({
      queueName: QueueName.ContactSync,
      jobName: JobName.SyncContact,
    });
    expect(parked.failedReason).toMatch(/401/);
    const alerts = await stack.queues[QueueName.Notifications].getJobs(['waiting', 'prioritized']);
    expect(
      alerts.filter((job) => job.name === JobName.AdminAlert && job.data.locationId === REFUSED),
    ).toEqual([expect.objectContaining({ data: expect.objectContaining({ kind: 'job-parked' }) })]);

    const refused = await fetch(`${stack.url}/admin/parked-jobs/${parked.id}/replay`, {
      method: 'POST',
    });
    expect(refused.status).toBe(401);

    refusedToken.delete(REFUSED);
    const replay = await fetch(`${stack.url}/admin/parked-jobs/${parked.id}/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
    expect(replay.status).toBe(202);
    const synced = await eventually(
      async () =>
        (await stack.dataSource
          .getRepository(Contact)
          .findOneBy({ locationId: REFUSED, id: contact.id })) ?? undefined,
      15_000,
      'the replayed contact',
    );
    expect(synced.email).toBe(contact.email ?? null);
  });

  it('writes, counts and announces nothing when a contact sync is replayed unchanged', async () => {
    const ghl = await exportSandbox();
    const live = await liveContactIds(LOCATION);
    const hasChildren = (contact: GhlRecord) =>
      [ghl.tasks, ghl.notes].every((rows) => rows.some((row) => row.contactId === contact.id));
    const target = [...ghl.contacts]
      .reverse()
      .find((contact) => live.has(contact.id) && hasChildren(contact)) as GhlRecord;
    const syncRun = async (jobId: string) => {
      const job = { locationId: LOCATION, contactId: target.id, cause: 'manual' };
      await stack.queues[QueueName.ContactSync].add(JobName.SyncContact, job, { jobId });

      return eventually(
        async () =>
          (await stack.dataSource.getRepository(SyncRun).findOneBy({ jobId })) ?? undefined,
        15_000,
        'the contact sync',
      );
    };
    const timeline = () =>
      stack.dataSource
        .getRepository(ContactActivity)
        .countBy({ locationId: LOCATION, contactId: target.id });
    await syncRun(`replay-first-${target.id}`);
    const entriesBefore = await timeline();

    const replay = await syncRun(`replay-again-${target.id}`);

    const event = await eventually(
      async () => events().find((candidate) => candidate.syncRunId === replay.id),
      10_000,
      'the replay event',
    );
    const nothing = { contacts: 0, tasks: 0, notes: 0, appointments: 0, tombstoned: 0 };
    expect(replay.counts).toEqual(nothing);
    expect(event.counts).toEqual(nothing);
    expect(await timeline()).toBe(entriesBefore);
  });

  it('keeps no child of a contact whose delete is stored while its sync fetches', async () => {
    const ghl = await exportSandbox(UNSYNCED);
    const target = ghl.contacts.find((contact) =>
      ghl.tasks.some((task) => task.contactId === contact.id && task.completed),
    ) as GhlRecord;
    expect(target).toBeDefined();
    const records = stack.app.get(RecordWriter);
    const outcome = await stack.sandbox.withFaults({ latencyMs: 300 }, async () => {
      const sync = stack.app
        .get(ContactSyncService)
        .sync({ locationId: UNSYNCED, contactId: target.id, cause: 'manual' }, { timeZone: null });
      // The ContactDelete webhook is processed while GHL's answer is on its way.
      await records.transaction((manager) =>
        records.tombstoneContact(manager, UNSYNCED, target.id, new Date()),
      );

      return sync;
    });

    const [contact] = await stack.dataSource.query(
      `SELECT deleted_at, children_version_at FROM contacts WHERE location_id = $1 AND id = $2`,
      [UNSYNCED, target.id],
    );
    const liveChildren = await Promise.all(
      ['contact_tasks', 'contact_notes', 'contact_appointments'].map((table) =>
        stack.dataSource.query(
          `SELECT id FROM ${table} WHERE location_id = $1 AND contact_id = $2
           AND deleted_at IS NULL`,
          [UNSYNCED, target.id],
        ),
      ),
    );
    const notices = await stack.queues[QueueName.Notifications].getJobs(['waiting', 'prioritized']);
    expect(liveChildren.flat()).toEqual([]);
    expect(contact.deleted_at).not.toBeNull();
    expect(contact.children_version_at).toBeNull();
    expect(outcome.contactDeleted).toBe(true);
    expect(
      notices.filter(
        (job) => job.name === JobName.TaskCompleted && job.data.contactId === target.id,
      ),
    ).toEqual([]);
  });

  it('records a failed contact sync with its error, GHL calls and duration', async () => {
    const target = (await exportSandbox()).contacts[3];
    const jobId = `failing-${target.id}`;
    const job = { locationId: LOCATION, contactId: target.id, cause: 'manual' as const };

    const failed = stack.sandbox.withFaults({ errorRate: 1 }, () =>
      stack.app.get(ContactSyncService).sync(job, { jobId, timeZone: null }),
    );

    await expect(failed).rejects.toThrow(/500/);
    const run = await stack.dataSource.getRepository(SyncRun).findOneByOrFail({ jobId });
    expect(run).toMatchObject({
      scope: 'contact',
      contactId: target.id,
      status: 'failed',
      errorCount: 1,
      lastError: expect.stringMatching(/500/),
    });
    expect(run.ghlCalls).toBeGreaterThan(0);
    expect(run.durationMs).toBeGreaterThan(0);
  });

  // A task sweep page read while the contact was being fetched must not count as newer.
  it('dates tasks and notes from when GHL was asked for them, not from the job start', async () => {
    const ghl = await exportSandbox();
    const target = ghl.contacts.find((contact) =>
      ghl.tasks.some((task) => task.contactId === contact.id && !task.deleted),
    ) as GhlRecord;
    const jobId = `dated-${target.id}`;
    const job = { locationId: LOCATION, contactId: target.id, cause: 'manual' as const };

    await stack.sandbox.withFaults({ latencyMs: 300 }, () =>
      stack.app.get(ContactSyncService).sync(job, { jobId, timeZone: null }),
    );

    const run = await stack.dataSource.getRepository(SyncRun).findOneByOrFail({ jobId });
    const versions: { version: Date }[] = await stack.dataSource.query(
      `SELECT source_version_at AS version FROM contact_tasks
       WHERE location_id = $1 AND contact_id = $2 AND deleted_at IS NULL
       UNION ALL
       SELECT source_version_at FROM contact_notes
       WHERE location_id = $1 AND contact_id = $2 AND deleted_at IS NULL`,
      [LOCATION, target.id],
    );
    // The contact's own fetch took the sandbox's 300 ms before its children were asked for.
    const askedAfterMs = versions.map(({ version }) => version.getTime() - run.startedAt.getTime());
    expect(askedAfterMs.length).toBeGreaterThan(0);
    expect(Math.min(...askedAfterMs)).toBeGreaterThanOrEqual(300);
  });
});
