import { Connection, SyncRun } from '@sm/entities';
import { DEFAULT_JOB_OPTIONS, QueueName } from '@sm/queues';
import { emptyCounts, SYNC_COMPLETED, SyncCompletedEvent } from '@sm/sync-events';
import { eventually } from '@sm/testing';

import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';
import { LocationSyncService } from '../src/location-sync/location-sync.service';
import { OutboxRelay } from '../src/outbox/outbox-relay.service';
import { RecordWriter } from '../src/records/record-writer.service';
import { FULL_SCOPES } from './support/ghl-stand-in';
import { GhlRecord } from './support/ghl-records';
import { useSyncWorkerStack } from './support/sync-worker-stack';

/** Swept only: its tasks are written by the task sweep, 500 to a transaction. */
const SWEPT = 'SMsweepCrash00000001';
/** Synced whole: more contacts than one batch of the contact walk (500). */
const SYNCED = 'SMsyncCrash000000001';
const SERVICE_TOKEN = 'per-commit-service-token-0123456789';

/**
 * A run commits in many transactions (the task sweep 500 tasks at a time, a location sync a batch
 * of contacts, then their children). Each must announce what it wrote in its own transaction: a
 * run that dies after some commits (a kill, a GHL outage mid-walk, a failing last step) and runs
 * again finds those records unchanged, and would never announce them.
 */
describe('sync-completed of a run that dies after some of its commits', () => {
  const stack = useSyncWorkerStack({
    name: 'per-commit',
    serviceToken: SERVICE_TOKEN,
    ghl: { locations: { [SWEPT]: 500, [SYNCED]: 700 }, scopes: FULL_SCOPES },
    connections: { locations: [SWEPT, SYNCED], scopes: FULL_SCOPES.split(' ') },
    queues: [QueueName.LocationSync],
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
    env: {
      OUTBOX_POLL_MS: '100',
      CHILD_FETCH_CONCURRENCY: '16',
      GHL_BURST_LIMIT: '1000000',
      // The specs start every run themselves.
      TASK_SWEEP_CRON: '0 0 1 1 *',
    },
  });

  /** The contact-scoped sync-completed events in the outbox, committed or published. */
  const contactEvents = async (locationId: string): Promise<SyncCompletedEvent[]> => {
    const rows: { payload: SyncCompletedEvent }[] = await stack.dataSource.query(
      `SELECT payload FROM outbox_events
       WHERE location_id = $1 AND event_type = $2 AND payload->>'scope' = 'contact'
       ORDER BY id`,
      [locationId, SYNC_COMPLETED],
    );

    return rows.map((row) => row.payload);
  };
  const announced = async (locationId: string) =>
    new Set((await contactEvents(locationId)).map((event) => event.contactId as string));
  /** Every contact Postgres holds a record of: its own row, or a task, note or appointment. */
  const recorded = async (locationId: string): Promise<string[]> => {
    const rows: { id: string }[] = await stack.dataSource.query(
      `SELECT id FROM contacts WHERE location_id = $1
       UNION SELECT contact_id FROM contact_tasks WHERE location_id = $1
       UNION SELECT contact_id FROM contact_notes WHERE location_id = $1
       UNION SELECT contact_id FROM contact_appointments WHERE location_id = $1`,
      [locationId],
    );

    return rows.map((row) => row.id);
  };
  const syncLocation = async (locationId: string, trigger: 'install' | 'nightly', jobId: string) =>
    stack.app
      .get(LocationSyncService)
      .sync(
        { locationId, trigger },
        jobId,
        await stack.dataSource.getRepository(Connection).findOneByOrFail({ locationId }),
      );

  afterEach(() => stack.sandbox.faults(null));

  it('announces every contact whose tasks the task sweep wrote, across its retry', async () => {
    const ghl = await stack.sandbox.export(SWEPT);
    expect(ghl.tasks.length).toBeGreaterThan(700);
    await stack.sandbox.faults({ latencyMs: 1000 });
    // As its schedule adds it, with the queue's attempts and backoff.
    const added = await stack.app.get(JobEnqueuer).sweepTasks({ locationId: SWEPT });
    await eventually(
      async () => ((await recorded(SWEPT)).length > 0 ? true : undefined),
      60_000,
      'the first 500 tasks committed',
    );

    // GHL fails every call from here on: the attempt dies half-way.
    await stack.sandbox.faults({ errorRate: 1 });
    await eventually(
      async () =>
        (await stack.queues[QueueName.LocationSync].getJob(added.id as string))?.attemptsMade
          ? true
          : undefined,
      60_000,
      'the failed attempt',
    );
    await stack.sandbox.faults(null);
    await eventually(
      async () =>
        (await stack.dataSource.getRepository(SyncRun).findOneBy({ locationId: SWEPT })) ??
        undefined,
      60_000,
      'the retried sweep',
    );

    const withTasks = new Set(ghl.tasks.map((task) => task.contactId as string));
    const heard = await announced(SWEPT);
    expect([...withTasks].filter((contactId) => !heard.has(contactId))).toEqual([]);
  }, 200_000);

  describe('a location sync', () => {
    // As Postgres refusing the run's last transaction would: the batches before it committed.
    const refuseSuccess = () =>
      stack.dataSource.query(`
        CREATE FUNCTION refuse_success() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the run cannot be closed'; END $$;
        CREATE TRIGGER refuse_success BEFORE UPDATE ON sync_runs FOR EACH ROW
        WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION refuse_success();
      `);
    const allowSuccess = () =>
      stack.dataSource.query(`
        DROP TRIGGER IF EXISTS refuse_success ON sync_runs;
        DROP FUNCTION IF EXISTS refuse_success();
      `);
    const runOf = (jobId: string) =>
      stack.dataSource.getRepository(SyncRun).findOneByOrFail({ jobId });
    /** The run's contact events, once the relay has released what the run held. */
    const releasedEventsOf = async (jobId: string) => {
      const run = await runOf(jobId);
      await eventually(
        async () => {
          const [{ held }] = await stack.dataSource.query(
            `SELECT count(*)::int AS held FROM outbox_events
             WHERE event_type = 'sync-completed.held' AND payload->>'syncRunId' = $1`,
            [run.id],
          );

          return held === 0 ? true : undefined;
        },
        10_000,
        'the held events released',
      );

      return (await contactEvents(SYNCED)).filter((event) => event.syncRunId === run.id);
    };

    afterEach(allowSuccess);

    it('announces every contact a first sync recorded before its last step failed', async () => {
      await refuseSuccess();

      await expect(syncLocation(SYNCED, 'install', 'first-sync-fails')).rejects.toThrow(/closed/);

      expect((await runOf('first-sync-fails')).status).toBe('failed');
      const events = await releasedEventsOf('first-sync-fails');
      const heard = new Set(events.map((event) => event.contactId as string));
      const stored = await recorded(SYNCED);
      expect(stored.length).toBeGreaterThan(500);
      expect(stored.filter((contactId) => !heard.has(contactId))).toEqual([]);
    }, 120_000);

    it('announces a first sync that succeeds with its location event alone', async () => {
      await syncLocation(SYNCED, 'install', 'first-sync-completes');

      const run = await runOf('first-sync-completes');
      const rows: { event_type: string; scope: string }[] = await stack.dataSource.query(
        `SELECT event_type, payload->>'scope' AS scope FROM outbox_events
         WHERE payload->>'syncRunId' = $1`,
        [run.id],
      );
      expect(rows).toEqual([{ event_type: SYNC_COMPLETED, scope: 'location' }]);
    }, 120_000);

    it('announces the contact a nightly run changed, and its children, when it fails', async () => {
      const ghl = await stack.sandbox.export(SYNCED);
      const target = ghl.contacts.find((contact) =>
        ghl.notes.some((note) => note.contactId === contact.id),
      ) as GhlRecord;
      await stack.sandbox.change(SYNCED, {
        kind: 'contact.update',
        contactId: target.id,
        fields: { city: 'Mesa' },
      });
      await stack.sandbox.change(SYNCED, { kind: 'note.update', contactId: target.id });
      await refuseSuccess();

      await expect(syncLocation(SYNCED, 'nightly', 'nightly-fails')).rejects.toThrow(/closed/);

      const ofTarget = (await releasedEventsOf('nightly-fails')).filter(
        (event) => event.contactId === target.id,
      );
      // The contact and its children are written in one transaction: one event tells both.
      expect(ofTarget.map(({ trigger, counts }) => ({ trigger, counts }))).toEqual([
        { trigger: 'location-sync', counts: { ...emptyCounts(), contacts: 1, notes: 1 } },
      ]);
    }, 120_000);

    describe('killed after some of its commits', () => {
      const killedRun = async (jobId: string, startedAt = new Date()) => {
        const run = await stack.dataSource.getRepository(SyncRun).save({
          locationId: SYNCED,
          scope: 'location',
          contactId: null,
          trigger: 'nightly',
          status: 'running',
          counts: emptyCounts(),
          ghlCalls: 0,
          errorCount: 0,
          jobId,
          startedAt,
        });
        const records = stack.app.get(RecordWriter);
        const held = new Map([[`held-by-${jobId}`, { contacts: 1 }]]);
        await records.transaction((manager) =>
          records.holdContactEvents(manager, SYNCED, run.id, held),
        );

        return run;
      };
      const eventsOfRun = async (syncRunId: string) =>
        (await contactEvents(SYNCED))
          .filter((event) => event.syncRunId === syncRunId)
          .map(({ contactId, counts }) => ({ contactId, counts }));

      it('publishes what the killed attempt held when its job runs again', async () => {
        const killed = await killedRun('killed-then-retried');

        await syncLocation(SYNCED, 'nightly', 'killed-then-retried');

        expect(await eventsOfRun(killed.id)).toEqual([
          { contactId: 'held-by-killed-then-retried', counts: { ...emptyCounts(), contacts: 1 } },
        ]);
      }, 60_000);

      it('publishes what a killed run held when another job of its location runs', async () => {
        // A job parked after its stalls and replayed (a new job id), or lost with Redis' data.
        const killed = await killedRun('parked-after-its-stalls');

        await syncLocation(SYNCED, 'nightly', 'its-replay-under-a-new-id');

        const closed = await stack.dataSource.getRepository(SyncRun).findOneByOrFail({
          id: killed.id,
        });
        expect(closed.status).toBe('abandoned');
        expect(await eventsOfRun(killed.id)).toEqual([
          {
            contactId: 'held-by-parked-after-its-stalls',
            counts: { ...emptyCounts(), contacts: 1 },
          },
        ]);
      }, 60_000);

      it('keeps what a run still going holds past the hour, and frees it after a day', async () => {
        const relay = stack.app.get(OutboxRelay);
        const twoHoursAgo = new Date(Date.now() - 7_200_000);
        const long = await killedRun('a-long-first-sync', twoHoursAgo);
        const ageHeldRows = () =>
          stack.dataSource.query(
            `UPDATE outbox_events SET created_at = now() - interval '61 minutes'
             WHERE payload->>'syncRunId' = $1`,
            [long.id],
          );
        // The worker's own relay polls every 100 ms beside the spec's passes, and a pass that
        // finds the other holding the relay's lock does nothing: one pass of the spec's own may
        // not be the one that ran. Passes for a second see each state many times over.
        const relayForASecond = async () => {
          const until = Date.now() + 1_000;
          while (Date.now() < until) await relay.publishBatch();
        };
        await ageHeldRows();

        await relayForASecond();
        const whileRunning = await eventsOfRun(long.id);
        await stack.dataSource.query(
          `UPDATE sync_runs SET started_at = now() - interval '25 hours' WHERE id = $1`,
          [long.id],
        );
        await relayForASecond();

        expect(whileRunning).toEqual([]);
        const released = await eventually(async () => {
          const events = await eventsOfRun(long.id);

          return events.length > 0 ? events : undefined;
        }, 10_000);
        expect(released).toEqual([
          { contactId: 'held-by-a-long-first-sync', counts: { ...emptyCounts(), contacts: 1 } },
        ]);
      });
    });
  });
});
