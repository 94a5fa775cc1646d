import { Connection, Task } from '@sm/entities';
import { JobName, QueueName } from '@sm/queues';
import { eventually } from '@sm/testing';

import { ContactSyncService } from '../src/contact-sync/contact-sync.service';
import { TaskSweepService } from '../src/tasks/task-sweep.service';
import { FULL_SCOPES } from './support/ghl-stand-in';
import { GhlRecord } from './support/ghl-records';
import { useSyncWorkerStack } from './support/sync-worker-stack';

const LOCATION = 'SMtaskNoticeRollback';
const SERVICE_TOKEN = 'notice-rollback-service-token-01234';

/**
 * GHL gives a task no completion time: a completion's version is the time SolarMarket first saw
 * it, which a write that rolls back never stores. Its retry, fetching later, sees the completion
 * at another time; a notice queued by the rolled-back write would be a second one.
 */
describe('task-completed notices of a write that rolls back', () => {
  const stack = useSyncWorkerStack({
    name: 'notice-rollback',
    serviceToken: SERVICE_TOKEN,
    ghl: { locations: { [LOCATION]: 30 }, scopes: FULL_SCOPES },
    connections: { locations: [LOCATION], scopes: FULL_SCOPES.split(' ') },
    queues: [QueueName.Notifications],
    env: { OUTBOX_POLL_MS: '100', TASK_SWEEP_CRON: '0 0 1 1 *' },
  });

  const complete = (task: GhlRecord) =>
    stack.sandbox.change(LOCATION, {
      kind: 'task.complete',
      contactId: task.contactId,
      taskId: task.id,
    });
  const connection = () =>
    stack.dataSource.getRepository(Connection).findOneByOrFail({ locationId: LOCATION });
  const sweep = async (jobId: string) =>
    stack.app.get(TaskSweepService).sweep({ locationId: LOCATION }, jobId, await connection());
  const syncContact = (contactId: string) =>
    stack.app
      .get(ContactSyncService)
      .sync({ locationId: LOCATION, contactId, cause: 'manual' }, { timeZone: null });
  /** Postgres refuses the commit of any write that completes a stored task. */
  const refuseCompletions = () =>
    stack.dataSource.query(`
      CREATE FUNCTION refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'commit refused'; END $$;
      CREATE CONSTRAINT TRIGGER refuse_completion AFTER UPDATE ON contact_tasks
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (NEW.completed AND NOT OLD.completed) EXECUTE FUNCTION refuse_completion();
    `);
  const allowCompletions = () =>
    stack.dataSource.query(`
      DROP TRIGGER IF EXISTS refuse_completion ON contact_tasks;
      DROP FUNCTION IF EXISTS refuse_completion();
    `);
  /** The notices queued for the task once the outbox has nothing left to publish. */
  const noticesOf = async (taskId: string) => {
    await eventually(
      async () => {
        const [{ pending }] = await stack.dataSource.query(
          'SELECT count(*)::int AS pending FROM outbox_events WHERE published_at IS NULL',
        );

        return pending === 0 ? true : undefined;
      },
      10_000,
      'the outbox published',
    );
    const jobs = await stack.queues[QueueName.Notifications].getJobs([
      'waiting',
      'prioritized',
      'delayed',
      'completed',
    ]);

    return jobs
      .filter((job) => job.name === JobName.TaskCompleted && job.data.taskId === taskId)
      .map((job) => job.data);
  };
  /** The one notice a completion should queue: under the completion time stored for it. */
  const noticeOfStored = async (task: GhlRecord) => {
    const stored = await stack.dataSource
      .getRepository(Task)
      .findOneByOrFail({ locationId: LOCATION, id: task.id });

    return {
      locationId: LOCATION,
      contactId: task.contactId,
      taskId: task.id,
      completedAt: (stored.completedAt as Date).toISOString(),
    };
  };
  const openTask = async (skip: number) => {
    const ghl = await stack.sandbox.export(LOCATION);

    return ghl.tasks.filter((task) => !task.completed && !task.deleted)[skip];
  };

  beforeAll(async () => {
    // Every task stored open, as a sweep before the completions would leave them.
    await sweep('first-sweep');
  });

  afterEach(allowCompletions);

  it('queues one notice when the sweep that saw the completion is retried', async () => {
    const task = await openTask(0);
    await complete(task);
    await refuseCompletions();
    await expect(sweep('sweep-rolled-back')).rejects.toThrow(/commit refused/);
    await allowCompletions();

    await sweep('sweep-retried');

    expect(await noticesOf(task.id)).toEqual([await noticeOfStored(task)]);
  });

  it('queues one notice when the contact sync that saw the completion is retried', async () => {
    const task = await openTask(0);
    await complete(task);
    await refuseCompletions();
    await expect(syncContact(task.contactId as string)).rejects.toThrow(/commit refused/);
    await allowCompletions();

    await syncContact(task.contactId as string);

    expect(await noticesOf(task.id)).toEqual([await noticeOfStored(task)]);
  });
});
