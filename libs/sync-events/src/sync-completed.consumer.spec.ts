import { ConnectionOptions, Job, Queue, UnrecoverableError } from 'bullmq';

import { DEFAULT_JOB_OPTIONS, JobName, redisOptionsFromUrl, syncCompletedQueue } from '@sm/queues';
import { eventually, TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import {
  createSyncCompletedConsumer,
  SyncCompletedConsumer,
  SyncCompletedConsumerOptions,
  SyncCompletedTryFailure,
} from './sync-completed.consumer';
import { buildSyncCompletedEvent, SyncCompletedEvent } from './sync-completed.event';

const CONSUMER = 'consumer-spec';
const FAST_RETRY = { windowMs: 2_000, initialDelayMs: 20, maxDelayMs: 100 };

const contactEvent = (contacts: number) =>
  buildSyncCompletedEvent({
    locationId: 'SMconsumerSpecLoc01',
    scope: 'contact',
    contactId: 'consumerSpecContact1',
    trigger: 'webhook',
    counts: { contacts },
  });

describe('createSyncCompletedConsumer', () => {
  const prefix = uniqueQueuePrefix('consumer');
  let queue: Queue;
  let consumer: SyncCompletedConsumer | undefined;

  /** What the relay does: one job per event, job id = event id, the shared defaults. */
  const publish = (events: SyncCompletedEvent[], opts = {}) =>
    queue.addBulk(
      events.map((event) => ({
        name: JobName.SyncCompleted,
        data: event,
        opts: { jobId: event.eventId, ...opts },
      })),
    );
  const start = (options: Omit<SyncCompletedConsumerOptions, 'consumer' | 'redisUrl'>) => {
    consumer = createSyncCompletedConsumer({
      consumer: CONSUMER,
      redisUrl: TEST_REDIS_URL,
      ...options,
    });

    return consumer;
  };

  beforeAll(() => {
    queue = new Queue(syncCompletedQueue(CONSUMER), {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
  });

  afterEach(async () => {
    await consumer?.close();
    consumer = undefined;
    await queue.obliterate({ force: true });
  });

  afterAll(() => queue.close());

  it('keeps a contact’s events in order while its handler fails, then recovers', async () => {
    const [first, second] = [contactEvent(1), contactEvent(2)];
    const handled: string[] = [];
    const failures: SyncCompletedTryFailure[] = [];
    let outageTries = 3;
    await publish([first, second]);

    start({
      prefix,
      retry: FAST_RETRY,
      onTryFailed: (failure) => failures.push(failure),
      handle: async (event) => {
        if (outageTries-- > 0) throw new Error('consumer database unavailable');
        handled.push(event.eventId);
      },
    });
    await eventually(async () => (handled.length === 2 ? true : undefined), 10_000, 'both');

    expect(handled).toEqual([first.eventId, second.eventId]);
    expect(
      failures.map(({ eventId, locationId, attempt, tryNumber }) => ({
        eventId,
        locationId,
        attempt,
        tryNumber,
      })),
    ).toEqual(
      [1, 2, 3].map((tryNumber) => ({
        eventId: first.eventId,
        locationId: first.locationId,
        attempt: 1,
        tryNumber,
      })),
    );
    expect(failures.every((failure) => failure.retryInMs !== null)).toBe(true);
    expect(failures[0].error.message).toBe('consumer database unavailable');
  });

  it('keeps a contact’s events in order across two replicas while its handler fails', async () => {
    const [first, second] = [contactEvent(1), contactEvent(2)];
    const handled: string[] = [];
    let outageTries = 3;
    const handle = async (event: SyncCompletedEvent) => {
      if (event.eventId === first.eventId && outageTries-- > 0) throw new Error('database down');
      handled.push(event.eventId);
    };
    const other = createSyncCompletedConsumer({
      consumer: CONSUMER,
      redisUrl: TEST_REDIS_URL,
      prefix,
      retry: FAST_RETRY,
      handle,
    });
    start({ prefix, retry: FAST_RETRY, handle });
    await Promise.all([other.ready, consumer?.ready]);

    await publish([first, second]);
    await eventually(async () => (handled.length === 2 ? true : undefined), 10_000, 'both');
    await other.close();

    expect(handled).toEqual([first.eventId, second.eventId]);
  });

  it('falls back to BullMQ’s attempts past the window, then hands the delivery over', async () => {
    const event = contactEvent(1);
    const failures: SyncCompletedTryFailure[] = [];
    const failedForGood: Job[] = [];
    await publish([event], { attempts: 2, backoff: { type: 'fixed', delay: 10 } });

    start({
      prefix,
      retry: { windowMs: 300, initialDelayMs: 50, maxDelayMs: 100 },
      onTryFailed: (failure) => failures.push(failure),
      onDeliveryFailed: async (job) => {
        failedForGood.push(job);
      },
      handle: async () => {
        throw new Error('consumer database unavailable');
      },
    });
    const [job] = await eventually(
      async () => (failedForGood.length > 0 ? failedForGood : undefined),
      10_000,
      'the delivery failing for good',
    );

    expect({ id: job.id, attemptsMade: job.attemptsMade }).toEqual({
      id: event.eventId,
      attemptsMade: 2,
    });
    const firstAttempt = failures.filter((failure) => failure.attempt === 1);
    expect(firstAttempt.length).toBeGreaterThan(2);
    expect(firstAttempt[firstAttempt.length - 1].retryInMs).toBeNull();
    expect(failures.filter((failure) => failure.attempt === 2)).toEqual([
      expect.objectContaining({ tryNumber: 1, retryInMs: null }),
    ]);
  });

  it('fails an event its handler calls unrecoverable at once, without retries', async () => {
    const event = contactEvent(1);
    const failedForGood: Job[] = [];
    await publish([event]);

    start({
      prefix,
      retry: FAST_RETRY,
      onDeliveryFailed: async (job) => {
        failedForGood.push(job);
      },
      handle: async () => {
        throw new UnrecoverableError('this event can never be handled');
      },
    });
    const [job] = await eventually(
      async () => (failedForGood.length > 0 ? failedForGood : undefined),
      5_000,
      'the delivery failing',
    );

    expect(job.attemptsMade).toBe(1);
  });

  it('stops waiting between retries when it closes, leaving the event first in line', async () => {
    const [first, second] = [contactEvent(1), contactEvent(2)];
    const failures: SyncCompletedTryFailure[] = [];
    await publish([first, second]);
    start({
      prefix,
      retry: { windowMs: 60_000, initialDelayMs: 30_000 },
      onTryFailed: (failure) => failures.push(failure),
      handle: async () => {
        throw new Error('consumer database unavailable');
      },
    });
    await eventually(async () => (failures.length > 0 ? true : undefined), 5_000, 'a failure');

    const started = Date.now();
    await consumer?.close();
    const closeMs = Date.now() - started;

    expect(closeMs).toBeLessThan(2_000);
    const job = await queue.getJob(first.eventId);
    expect({ state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({
      state: 'waiting',
      attemptsMade: 0,
    });
    const handled: string[] = [];
    start({ prefix, handle: async (event) => void handled.push(event.eventId) });
    await eventually(async () => (handled.length === 2 ? true : undefined), 5_000, 'both');
    expect(handled).toEqual([first.eventId, second.eventId]);
  });

  // A shutdown while the service is still starting is no failure to start.
  it('settles ready without an error when it is closed before it started', async () => {
    const started = start({ prefix, handle: async () => undefined });
    const errors: Error[] = [];
    started.worker.on('error', (error) => errors.push(error));

    await started.close();

    await expect(started.ready).resolves.toBeUndefined();
    expect(errors).toEqual([]);
  });
});
