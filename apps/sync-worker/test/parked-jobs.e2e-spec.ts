import { IsNull } from 'typeorm';

import { ParkedJob } from '@sm/entities';
import { JobName, QueueName, syncCompletedQueue } from '@sm/queues';
import { buildSyncCompletedEvent } from '@sm/sync-events';
import { eventually } from '@sm/testing';

import { HEALTH_SCORE_CONSUMER } from '../src/health-score/health-score.consumer';
import { useSyncWorkerStack } from './support/sync-worker-stack';

const LOCATION = 'SMparkedJobsLoc0001';
const SERVICE_TOKEN = 'parked-jobs-service-token-0123456789abcdef';

describe('parked jobs', () => {
  const healthScoreQueue = syncCompletedQueue(HEALTH_SCORE_CONSUMER);
  // No GHL and no auth service: nothing here reaches either.
  const stack = useSyncWorkerStack({
    name: 'parked',
    serviceToken: SERVICE_TOKEN,
    queues: [QueueName.LocationSync, QueueName.Notifications, healthScoreQueue],
    env: {
      LOG_LEVEL: 'error',
      SYNC_COMPLETED_RETRY_WINDOW_MS: '300',
      SYNC_COMPLETED_RETRY_DELAY_MS: '20',
    },
  });

  const admin = (path: string, method = 'GET') =>
    fetch(`${stack.url}/admin/parked-jobs${path}`, {
      method,
      headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
    });
  const park = (row: Partial<ParkedJob>) =>
    stack.dataSource.getRepository(ParkedJob).save({
      locationId: LOCATION,
      failedReason: 'Error: boom',
      attemptsMade: 6,
      jobId: null,
      data: {},
      ...row,
    } as ParkedJob);

  it('parks a sync-completed event a consumer failed for good, and replays it to it', async () => {
    await stack.dataSource.query(
      `INSERT INTO contacts (location_id, id, tags, source_version_at, first_version_at,
                             synced_at)
       VALUES ($1, 'parkedJobsContact01', '{}', now(), now(), now())`,
      [LOCATION],
    );
    const event = buildSyncCompletedEvent({
      locationId: LOCATION,
      scope: 'contact',
      contactId: 'parkedJobsContact01',
      trigger: 'webhook',
    });
    // The health-score consumer's own tables are gone (its database down, for this consumer).
    await stack.dataSource.query('ALTER TABLE health_score_settings RENAME TO settings_away');
    // As the relay adds it, with two quick attempts instead of six over a minute.
    await stack.queues[healthScoreQueue].add(JobName.SyncCompleted, event, {
      jobId: event.eventId,
      attempts: 2,
      backoff: { type: 'fixed', delay: 10 },
    });

    const parked = await eventually(
      async () =>
        (await stack.dataSource.getRepository(ParkedJob).findOneBy({ jobId: event.eventId })) ??
        undefined,
      15_000,
      'the parked delivery',
    );
    expect(parked).toMatchObject({
      queueName: healthScoreQueue,
      jobName: JobName.SyncCompleted,
      locationId: LOCATION,
      attemptsMade: 2,
      data: event,
    });
    const alerts = await stack.queues[QueueName.Notifications].getJobs(['waiting', 'prioritized']);
    expect(alerts.map((job) => job.data.dedupeKey)).toContain(`job-parked.${parked.id}`);

    await stack.dataSource.query('ALTER TABLE settings_away RENAME TO health_score_settings');
    const replay = await admin(`/${parked.id}/replay`, 'POST');

    expect(replay.status).toBe(202);
    expect(await replay.json()).toMatchObject({
      queueName: healthScoreQueue,
      jobId: event.eventId,
    });
    const scored = await eventually(
      async () => {
        const rows: unknown[] = await stack.dataSource.query(
          `SELECT 1 FROM contact_health_scores WHERE location_id = $1 AND contact_id = $2`,
          [LOCATION, 'parkedJobsContact01'],
        );

        return rows.length > 0 ? rows : undefined;
      },
      10_000,
      'the replayed event rescoring the contact',
    );
    expect(scored).toHaveLength(1);
  });

  it('replays a parked task sweep as a task sweep', async () => {
    const parked = await park({
      queueName: QueueName.LocationSync,
      jobName: JobName.SweepTasks,
      jobId: `repeat:task-sweep:${LOCATION}:1`,
      data: { locationId: LOCATION },
    });

    const response = await admin(`/${parked.id}/replay`, 'POST');

    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    const job = await stack.queues[QueueName.LocationSync].getJob(jobId);
    expect({ name: job?.name, data: job?.data }).toEqual({
      name: JobName.SweepTasks,
      data: { locationId: LOCATION },
    });
  });

  it('replays a parked job once when operators replay it at the same time', async () => {
    const parked = await park({
      queueName: QueueName.LocationSync,
      jobName: JobName.SweepTasks,
      data: { locationId: LOCATION },
    });

    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => (await admin(`/${parked.id}/replay`, 'POST')).status),
    );

    expect(statuses.sort()).toEqual([202, 404, 404, 404, 404, 404]);
    const stored = await stack.dataSource
      .getRepository(ParkedJob)
      .findOneByOrFail({ id: parked.id });
    expect(stored.replayedAt).not.toBeNull();
  });

  it.each([
    ['a full sync without its trigger', QueueName.LocationSync, JobName.SyncLocation],
    ['a job name its queue does not run', QueueName.LocationSync, JobName.SyncContact],
    ['a queue this worker does not replay', QueueName.Notifications, JobName.AdminAlert],
    ['an event of no registered consumer', syncCompletedQueue('gone'), JobName.SyncCompleted],
  ])('refuses to replay %s with a 409, and keeps it parked', async (_case, queueName, jobName) => {
    const parked = await park({ queueName, jobName, data: { locationId: LOCATION } });

    const response = await admin(`/${parked.id}/replay`, 'POST');

    expect(response.status).toBe(409);
    expect(((await response.json()) as { message: string }).message).toContain(queueName);
    const stored = await stack.dataSource
      .getRepository(ParkedJob)
      .findOneByOrFail({ id: parked.id });
    expect(stored.replayedAt).toBeNull();
  });

  it.each([
    ['a contact sync whose data is null', QueueName.ContactSync, JobName.SyncContact, null],
    ['a full sync whose data is a list', QueueName.LocationSync, JobName.SyncLocation, []],
    ['a task sweep whose data is null', QueueName.LocationSync, JobName.SweepTasks, null],
    ['a webhook whose data is null', QueueName.WebhookEvents, JobName.ProcessWebhook, null],
    [
      'a webhook naming an inbox id no job may have',
      QueueName.WebhookEvents,
      JobName.ProcessWebhook,
      { inboxId: 'x:y' },
    ],
  ])('refuses to replay %s with a 409, not a 500', async (_case, queueName, jobName, data) => {
    const parked = await park({ queueName, jobName, jobId: null });
    await stack.dataSource.query('UPDATE parked_jobs SET data = $2::jsonb WHERE id = $1', [
      parked.id,
      JSON.stringify(data),
    ]);

    const response = await admin(`/${parked.id}/replay`, 'POST');

    expect(response.status).toBe(409);
    const stored = await stack.dataSource
      .getRepository(ParkedJob)
      .findOneByOrFail({ id: parked.id });
    expect(stored.replayedAt).toBeNull();
  });

  it('shows every parked job, a page at a time, with their total', async () => {
    await stack.dataSource.getRepository(ParkedJob).save(
      Array.from({ length: 150 }, (_, index) => ({
        queueName: QueueName.ContactSync,
        jobName: JobName.SyncContact,
        jobId: `parked-page-${index}`,
        locationId: LOCATION,
        data: { locationId: LOCATION, contactId: `c${index}`, cause: 'manual' },
        failedReason: 'Error: boom',
        attemptsMade: 6,
      })),
    );
    const unreplayed = await stack.dataSource
      .getRepository(ParkedJob)
      .countBy({ replayedAt: IsNull() });
    type Page = { data: { id: string }[]; nextCursor: string | null; total: number };

    const pages: Page[] = [];
    for (let cursor: string | null | undefined = ''; typeof cursor === 'string';) {
      const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
      const response = await admin(query);
      expect(response.status).toBe(200);
      const page = (await response.json()) as Page;
      pages.push(page);
      cursor = page.nextCursor;
    }

    const ids = pages.flatMap((page) => page.data.map((job) => job.id));
    expect(unreplayed).toBeGreaterThan(150);
    expect(pages.map((page) => page.total)).toEqual(pages.map(() => unreplayed));
    expect(ids).toHaveLength(unreplayed);
    expect(new Set(ids).size).toBe(unreplayed);
    expect(pages[0].data).toHaveLength(100);
  });

  it.each([
    ['limit', '?limit=0'],
    ['limit', '?limit=501'],
    ['limit', '?limit=ten'],
    ['cursor', '?cursor=not-a-cursor'],
    [
      'cursor',
      `?cursor=${Buffer.from('["00000000-0000-4000-8000-000000000000"]').toString('base64url')}`,
    ],
    ['offset', '?offset=100'],
  ])('answers bad paging (%s) with a 400 naming the parameter', async (name, query) => {
    const response = await admin(query);

    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain(name);
  });

  it.each(['limit', 'cursor'])('answers %s given twice with a 400 saying so', async (name) => {
    const response = await admin(`?${name}=10&${name}=20`);

    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string[] }).message).toEqual([
      `${name}: given 2 times; give it once`,
    ]);
  });
});
