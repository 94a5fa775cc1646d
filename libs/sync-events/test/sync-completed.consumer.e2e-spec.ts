import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import { ConnectionOptions, Queue } from 'bullmq';

import { DEFAULT_JOB_OPTIONS, JobName, redisOptionsFromUrl, syncCompletedQueue } from '@sm/queues';
import { eventually, TEST_REDIS_URL, uniqueQueuePrefix, WORKSPACE_ROOT } from '@sm/testing';

import {
  buildSyncCompletedEvent,
  createSyncCompletedConsumer,
  SyncCompletedConsumer,
  SyncCompletedEvent,
} from '../src';

const CONSUMER = 'consumer-kill-spec';
const TIMINGS = { lockMs: 1_000, stalledCheckMs: 500 };

const contactEvent = (contacts: number) =>
  buildSyncCompletedEvent({
    locationId: 'SMconsumerKillLoc01',
    scope: 'contact',
    contactId: 'consumerKillContact1',
    trigger: 'webhook',
    counts: { contacts },
  });

describe('a sync-completed consumer killed while it holds an event', () => {
  const prefix = uniqueQueuePrefix('consumer-kill');
  let queue: Queue;
  let child: ChildProcess | undefined;
  let replica: SyncCompletedConsumer | undefined;
  let output = '';

  /** The consumer of the other replica, in a process of its own, failing `held` on every try. */
  const startChild = (held: SyncCompletedEvent) => {
    child = spawn(
      process.execPath,
      [
        path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'),
        'libs/sync-events/test/support/consumer-process.ts',
      ],
      {
        cwd: WORKSPACE_ROOT,
        env: {
          ...process.env,
          CONSUMER,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: prefix,
          LOCK_MS: String(TIMINGS.lockMs),
          STALLED_CHECK_MS: String(TIMINGS.stalledCheckMs),
          HELD_EVENT_ID: held.eventId,
        },
        stdio: 'pipe',
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  };
  const kill = (target: ChildProcess) =>
    new Promise<void>((resolve) => {
      target.once('close', () => resolve());
      target.kill('SIGKILL');
    });

  beforeAll(() => {
    queue = new Queue(syncCompletedQueue(CONSUMER), {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) await kill(child);
    await replica?.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('hands the held event on first, once its lock expires, before the events behind', async () => {
    const [first, second] = [contactEvent(1), contactEvent(2)];
    startChild(first);
    await eventually(
      async () => (output.includes('ready') ? true : undefined),
      20_000,
      'the other replica',
    );
    await queue.addBulk(
      [first, second].map((event) => ({
        name: JobName.SyncCompleted,
        data: event,
        opts: { jobId: event.eventId },
      })),
    );
    await eventually(async () => (output.includes(`try ${first.eventId}`) ? true : undefined));
    const handled: string[] = [];
    replica = createSyncCompletedConsumer({
      consumer: CONSUMER,
      redisUrl: TEST_REDIS_URL,
      prefix,
      ...TIMINGS,
      handle: async (event) => void handled.push(event.eventId),
    });
    await replica.ready;

    await kill(child as ChildProcess);
    const killedAt = Date.now();
    await eventually(async () => (handled.length === 2 ? true : undefined), 10_000, 'both');

    expect(handled).toEqual([first.eventId, second.eventId]);
    // The lock, then the next stall check of the replica, with a margin for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(TIMINGS.lockMs + 3 * TIMINGS.stalledCheckMs + 1_000);
  });
});
