import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { loadConfig } from '@sm/config';
import { Connection, ConnectionStatus, dataSourceOptions, ParkedJob, SyncRun } from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { listeningPort, startService } from '@sm/platform';
import {
  createTestDatabase,
  eventually,
  ServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
} from '@sm/testing';

import { AppModule } from '../src/app.module';
import { SyncWorkerConfig, syncWorkerEnv } from '../src/config/sync-worker.config';
import { NOTICE_APPLICATION_NAME } from '../src/connections/connection-change.listener';
import { LocationGate } from '../src/connections/location-gate.service';
import { LocationUnavailableError } from '../src/tokens/location-unavailable.error';
import { Listening, sandboxAccessToken, startSandbox, startTokenEndpoint } from './sandbox-harness';

/** Re-authorised, then an operator asks for a full sync. */
const OPERATOR_AFTER_REAUTH = 'SMpauseOperator00001';
/** Re-authorised, then the auth service adds its first sync. */
const FIRST_SYNC = 'SMpauseFirstSync0001';
/** Its connection row says re-auth before any job asks. */
const ROW_REAUTH = 'SMpauseRowReauth0001';
/** The auth service answers again, its row untouched; an operator asks for a full sync. */
const OPERATOR_UNCHANGED = 'SMpauseUnchanged0001';
/** The auth service answers again, its row untouched; an operator replays a parked job. */
const REPLAY = 'SMpauseReplay0000001';
/** Seen by two replicas. */
const REPLICAS = 'SMpauseReplicas00001';
/** A Private Integration Token stored for it in SQL; no job follows. */
const PIT_STORED = 'SMpausePitStored0001';
/** Its row changes but stays not active, then becomes active. */
const STILL_NOT_ACTIVE = 'SMpauseNotActive0001';
/** Re-authorised while the worker's notice connection is down. */
const WHILE_DISCONNECTED = 'SMpauseDisconnect001';
/** Re-authorised after the notice connection came back. */
const AFTER_RECONNECT = 'SMpauseReconnected01';
/** Far longer than any wait below: a job that runs at all here ran because the pause ended. */
const PAUSE_MS = 120_000;
const RUN_AT_ONCE_MS = 20_000;
/** A change announced by Postgres, with no job after it, must start the put-off jobs this soon. */
const LIFT_BY_NOTICE_MS = 2_000;

describe('the pause of a location whose token needs re-auth', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sandbox: { url: string; process: ServiceProcess };
  let tokenEndpoint: Listening & { requests: (locationId: string) => number };
  let config: SyncWorkerConfig;
  let app: INestApplication;
  let queues: Record<string, Queue>;
  let workerUrl = '';
  let redis: Redis;
  const serviceToken = randomBytes(24).toString('hex');
  const reauthRequired = new Set<string>();
  const prefix = uniqueQueuePrefix('pause');

  const admin = (path: string) =>
    fetch(`${workerUrl}/admin${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serviceToken}` },
    });
  const contactIds = async (locationId: string) => {
    const response = await fetch(`${sandbox.url}/_sandbox/export/${locationId}`);
    const exported = (await response.json()) as { contacts: { id: string }[] };

    return exported.contacts.map((contact) => contact.id);
  };
  const inState = (job: Job, state: string, timeoutMs: number) =>
    eventually(
      async () => ((await job.getState()) === state ? job : undefined),
      timeoutMs,
      `job ${job.id} ${state}`,
    );
  const putOffContactSync = async (locationId: string, contactId: string) => {
    const job = await queues[QueueName.ContactSync].add(JobName.SyncContact, {
      locationId,
      contactId,
      cause: 'manual',
    });

    return inState(job, 'delayed', 10_000);
  };
  const jobOf = async (queueName: string, jobId: string) =>
    (await queues[queueName].getJob(jobId)) as Job;
  const succeededRun = (locationId: string) =>
    eventually(
      async () =>
        (await dataSource.getRepository(SyncRun).findBy({ locationId, scope: 'location' })).find(
          (run) => run.status === 'succeeded',
        ),
      RUN_AT_ONCE_MS,
      `a full sync of ${locationId}`,
    );
  /** What the auth service's OAuth callback writes: the connection, active again. */
  const reauthorise = async (locationId: string) => {
    reauthRequired.delete(locationId);
    await dataSource
      .getRepository(Connection)
      .upsert({ locationId, status: ConnectionStatus.Active, statusReason: null }, ['locationId']);
  };
  /** The first sync the auth service adds after an install, in its shape. */
  const addFirstSync = (locationId: string) =>
    queues[QueueName.LocationSync].add(
      JobName.SyncLocation,
      { locationId, trigger: 'install' },
      { jobId: `install-sync-${locationId}-${Date.now()}` },
    );

  /** When the job last started to run. */
  const lastRun = async (job: Job) => (await jobOf(job.queueName, job.id as string)).processedOn;
  /** Waits until the gate has recorded the put-off job, which it does after delaying it. */
  const recorded = (locationId: string, job: Job) =>
    eventually(
      async () => {
        const key = `${prefix}:sync-worker:put-off:${locationId}`;
        const isMember = await redis.sismember(key, `${job.queueName}:${job.id}`);

        return isMember === 1 ? job : undefined;
      },
      10_000,
      `job ${job.id} recorded as put off`,
    );
  /** A contact sync put off because the auth service refuses the location a token. */
  const putOffByRefusal = async (locationId: string) => {
    reauthRequired.add(locationId);
    const [contactId] = await contactIds(locationId);

    return recorded(locationId, await putOffContactSync(locationId, contactId));
  };
  /** Waits for its completion; returns how long after `since` its last run started. */
  const ranAfter = async (job: Job, since: number) => {
    await inState(job, 'completed', RUN_AT_ONCE_MS);

    return ((await lastRun(job)) as number) - since;
  };
  /**
   * What storing a Private Integration Token writes, in plain SQL: the row active again, and a
   * token the (stand-in) auth service now hands out. Nothing adds a job. Returns when it began.
   */
  const storePrivateToken = async (locationId: string) => {
    const startedAt = Date.now();
    reauthRequired.delete(locationId);
    await dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE ghl_connections
            SET status = 'active', status_reason = NULL, credential_kind = 'pit'
          WHERE location_id = $1`,
        [locationId],
      );
      await manager.query(
        `INSERT INTO ghl_connection_tokens
           (location_id, access_token_sealed, key_id, access_token_expires_at)
         VALUES ($1, 'sealed-elsewhere', 'k1', '2100-01-01')
         ON CONFLICT (location_id) DO UPDATE SET generation = ghl_connection_tokens.generation + 1`,
        [locationId],
      );
    });

    return startedAt;
  };
  const setStatus = (locationId: string, status: ConnectionStatus) =>
    dataSource.query('UPDATE ghl_connections SET status = $2 WHERE location_id = $1', [
      locationId,
      status,
    ]);
  const noticeBackends = async (): Promise<number[]> => {
    const rows: Array<{ pid: number }> = await dataSource.query(
      `SELECT pid FROM pg_stat_activity
        WHERE application_name = $1 AND datname = current_database()`,
      [NOTICE_APPLICATION_NAME],
    );

    return rows.map((row) => row.pid);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    const synced = [
      ...[OPERATOR_AFTER_REAUTH, FIRST_SYNC, ROW_REAUTH, OPERATOR_UNCHANGED, REPLAY],
      ...[PIT_STORED, STILL_NOT_ACTIVE, WHILE_DISCONNECTED, AFTER_RECONNECT],
    ];
    sandbox = await startSandbox(Object.fromEntries(synced.map((locationId) => [locationId, 2])));
    tokenEndpoint = await startTokenEndpoint({
      serviceToken,
      reauthRequired,
      token: (locationId) => sandboxAccessToken(sandbox.url, locationId),
    });
    await dataSource.getRepository(Connection).save(
      [...synced, REPLICAS].map((locationId) => ({
        locationId,
        status: ConnectionStatus.Active,
        scopes: ['contacts.readonly'],
      })),
    );
    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    redis = new Redis(redisOptionsFromUrl(TEST_REDIS_URL));
    queues = Object.fromEntries(
      [QueueName.LocationSync, QueueName.ContactSync].map((name) => [
        name,
        new Queue(name, { connection, prefix }),
      ]),
    );
    config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      GHL_API_BASE_URL: sandbox.url,
      AUTH_SERVICE_URL: tokenEndpoint.url,
      SERVICE_TOKEN: serviceToken,
      CONTACT_SYNC_COALESCE_MS: '100',
      OUTBOX_POLL_MS: '100',
      PAUSED_LOCATION_DELAY_MS: String(PAUSE_MS),
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
    workerUrl = `http://127.0.0.1:${listeningPort(app)}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all(
      Object.values(queues ?? {}).map(async (queue) => {
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }),
    );
    redis?.disconnect();
    await tokenEndpoint?.close();
    await sandbox?.process.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('runs an operator full sync at once after the location was re-authorised', async () => {
    reauthRequired.add(OPERATOR_AFTER_REAUTH);
    const first = await addFirstSync(OPERATOR_AFTER_REAUTH);
    await inState(first, 'delayed', 15_000);

    await reauthorise(OPERATOR_AFTER_REAUTH);
    const response = await admin(`/locations/${OPERATOR_AFTER_REAUTH}/full-sync`);

    expect(response.status).toBe(202);
    const run = await succeededRun(OPERATOR_AFTER_REAUTH);
    expect(run.status).toBe('succeeded');
  }, 60_000);

  it('runs the first sync after re-auth at once, and the jobs it had put off', async () => {
    reauthRequired.add(FIRST_SYNC);
    const [firstContact, secondContact] = await contactIds(FIRST_SYNC);
    const putOff = [
      await putOffContactSync(FIRST_SYNC, firstContact),
      await putOffContactSync(FIRST_SYNC, secondContact),
    ];
    const askedWhilePaused = tokenEndpoint.requests(FIRST_SYNC);

    await reauthorise(FIRST_SYNC);
    const firstSync = await addFirstSync(FIRST_SYNC);

    expect(askedWhilePaused).toBe(1);
    await inState(firstSync, 'completed', RUN_AT_ONCE_MS);
    for (const job of putOff) await inState(job, 'completed', RUN_AT_ONCE_MS);
  }, 60_000);

  it('runs what it put off while its row said re-auth, once the row is active', async () => {
    await dataSource
      .getRepository(Connection)
      .update({ locationId: ROW_REAUTH }, { status: ConnectionStatus.ReauthRequired });
    const [contactId] = await contactIds(ROW_REAUTH);
    const putOff = await putOffContactSync(ROW_REAUTH, contactId);
    // An operator's lift does not make it ask either: the row still says re-auth.
    const operatorSync = await admin(`/locations/${ROW_REAUTH}/full-sync`);
    const { jobId } = (await operatorSync.json()) as { jobId: string };
    await inState(await jobOf(QueueName.LocationSync, jobId), 'delayed', 10_000);
    const askedWhileRowSaidReauth = tokenEndpoint.requests(ROW_REAUTH);

    await reauthorise(ROW_REAUTH);
    await addFirstSync(ROW_REAUTH);

    expect(askedWhileRowSaidReauth).toBe(0);
    // The first sync, or the operator's put off before it: one holds the location, the other
    // waits behind it (both are full syncs), whichever the write's notice or the job ran first.
    expect((await succeededRun(ROW_REAUTH)).status).toBe('succeeded');
    await inState(putOff, 'completed', RUN_AT_ONCE_MS);
  }, 60_000);

  it('lifts the pause for an operator full sync, and runs the put-off one it joins', async () => {
    reauthRequired.add(OPERATOR_UNCHANGED);
    const first = await admin(`/locations/${OPERATOR_UNCHANGED}/full-sync`);
    const { jobId } = (await first.json()) as { jobId: string };
    const putOff = await inState(await jobOf(QueueName.LocationSync, jobId), 'delayed', 15_000);

    // The auth service answers again; nothing wrote the connection row.
    reauthRequired.delete(OPERATOR_UNCHANGED);
    const again = await admin(`/locations/${OPERATOR_UNCHANGED}/full-sync`);

    expect(again.status).toBe(202);
    await inState(putOff, 'completed', RUN_AT_ONCE_MS);
    expect((await succeededRun(OPERATOR_UNCHANGED)).status).toBe('succeeded');
  }, 60_000);

  it('lifts the pause for a replay, and runs the replayed job at once', async () => {
    reauthRequired.add(REPLAY);
    const [putOffContact, parkedContact] = await contactIds(REPLAY);
    const putOff = await putOffContactSync(REPLAY, putOffContact);
    const parked = await dataSource.getRepository(ParkedJob).save({
      queueName: QueueName.ContactSync,
      jobName: JobName.SyncContact,
      jobId: null,
      locationId: REPLAY,
      data: { locationId: REPLAY, contactId: parkedContact, cause: 'manual' },
      failedReason: 'Error: GHL answered 503',
      attemptsMade: 6,
    });

    reauthRequired.delete(REPLAY);
    const replay = await admin(`/parked-jobs/${parked.id}/replay`);

    expect(replay.status).toBe(202);
    const { jobId } = (await replay.json()) as { jobId: string };
    await inState(await jobOf(QueueName.ContactSync, jobId), 'completed', RUN_AT_ONCE_MS);
    await inState(putOff, 'completed', RUN_AT_ONCE_MS);
  }, 60_000);

  it('holds on every replica, and ends on all of them when one lifts it', async () => {
    const gate = app.get(LocationGate);
    const otherReplica = new LocationGate(
      dataSource,
      config,
      queues[QueueName.ContactSync],
      queues[QueueName.LocationSync],
    );
    try {
      const before = await gate.standing(REPLICAS);
      if (before.kind !== 'active') throw new Error(`${REPLICAS} is ${before.kind}`);
      await gate.pause(new LocationUnavailableError(REPLICAS, 'reauth_required'), before.version);

      const elsewhere = await otherReplica.standing(REPLICAS);
      await otherReplica.resume(REPLICAS);
      const after = await gate.standing(REPLICAS);

      expect(elsewhere.kind).toBe('paused');
      expect(after.kind).toBe('active');
    } finally {
      otherReplica.onApplicationShutdown();
    }
  });

  it('runs a put-off job in seconds once an UPDATE makes its row active, with no job', async () => {
    const putOff = await putOffByRefusal(PIT_STORED);

    const storedAt = await storePrivateToken(PIT_STORED);

    expect(await ranAfter(putOff, storedAt)).toBeLessThan(LIFT_BY_NOTICE_MS);
  });

  it('lifts nothing for a notice whose row is still not active, and lifts once it is', async () => {
    const putOff = await putOffByRefusal(STILL_NOT_ACTIVE);
    const processedOn = await lastRun(putOff);

    // What the auth service writes when GHL refuses the refresh token: a notice, still no token.
    await setStatus(STILL_NOT_ACTIVE, ConnectionStatus.ReauthRequired);
    await sleep(LIFT_BY_NOTICE_MS);
    const whileNotActive = await lastRun(putOff);
    const stateWhileNotActive = await putOff.getState();
    const storedAt = await storePrivateToken(STILL_NOT_ACTIVE);

    expect(stateWhileNotActive).toBe('delayed');
    expect(whileNotActive).toBe(processedOn);
    expect(await ranAfter(putOff, storedAt)).toBeLessThan(LIFT_BY_NOTICE_MS);
  });

  it('listens again after its backend is ended, and acts on a change made meanwhile', async () => {
    const missed = await putOffByRefusal(WHILE_DISCONNECTED);
    const listening = await noticeBackends();
    const [listener] = listening;

    // The worker reconnects 100 ms after it noticed the loss: the change is made well before.
    await dataSource.query('SELECT pg_terminate_backend($1)', [listener]);
    while ((await noticeBackends()).includes(listener)) await sleep(2);
    const changedAt = Date.now();
    reauthRequired.delete(WHILE_DISCONNECTED);
    const changed: unknown[] = await dataSource.query(
      `WITH changed AS (
         UPDATE ghl_connections SET status = 'active', credential_kind = 'pit'
          WHERE location_id = $1
            AND NOT EXISTS (SELECT 1 FROM pg_stat_activity
                             WHERE application_name = $2 AND datname = current_database())
          RETURNING location_id)
       SELECT location_id FROM changed`,
      [WHILE_DISCONNECTED, NOTICE_APPLICATION_NAME],
    );

    expect(listening).toHaveLength(1);
    expect(changed).toHaveLength(1);
    const reconnected = await eventually(
      async () => {
        const pids = await noticeBackends();

        return pids.length === 1 ? pids : undefined;
      },
      5_000,
      'the notice connection back',
    );
    expect(reconnected).not.toContain(listener);
    expect(await ranAfter(missed, changedAt)).toBeLessThan(LIFT_BY_NOTICE_MS);
    const later = await putOffByRefusal(AFTER_RECONNECT);
    const storedAt = await storePrivateToken(AFTER_RECONNECT);
    expect(await ranAfter(later, storedAt)).toBeLessThan(LIFT_BY_NOTICE_MS);
  });
});
