import { ConnectionOptions, Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';

import { JobName, redisOptionsFromUrl, syncCompletedQueue } from '@sm/queues';

import type { SyncCompletedEvent } from './sync-completed.event';
import { explainInvalidEvent, isSyncCompletedEventV1 } from './sync-completed.schema';

/** Retries of a failing handler in place, while the event keeps the head of its queue. */
export interface SyncCompletedRetryOptions {
  /**
   * How long (ms) a delivery's first attempt retries a failing handler in place, counted from
   * its first try (a consumer that restarts meanwhile starts it afresh). Default 300000
   * (5 minutes); 0 turns retries in place off.
   */
  windowMs?: number;
  /** The wait (ms) before the first retry in place, doubled after each. Default 1000. */
  initialDelayMs?: number;
  /** The longest wait (ms) between two tries in place. Default 30000. */
  maxDelayMs?: number;
}

/** One failed try of the handler, for the consumer's logs (ids and the error only). */
export interface SyncCompletedTryFailure {
  consumer: string;
  eventId: string;
  locationId: string;
  contactId: string | null;
  /** BullMQ's attempt, from 1. */
  attempt: number;
  /** The try within this attempt, from 1 (more than 1 only while retrying in place). */
  tryNumber: number;
  error: Error;
  /**
   * When the handler is tried again in place (ms), or null: the delivery left the handler, to
   * BullMQ's own retries while attempts remain (or failed for good), or, when the worker
   * closes, back to the head of its queue.
   */
  retryInMs: number | null;
}

export interface SyncCompletedConsumerOptions {
  /** The consumer's registered name (lower-case words); its queue is `sync-completed.<name>`. */
  consumer: string;
  redisUrl: string;
  /** The platform's `QUEUE_PREFIX` (default `sm`). */
  prefix?: string;
  /**
   * Called once per try. Deliveries are at least once: deduplicate by `event.eventId`. A throw
   * is retried in place, then by BullMQ's attempts (see `createSyncCompletedConsumer`); throw an
   * `UnrecoverableError` for an event that can never be handled, to fail it at once.
   */
  handle: (event: SyncCompletedEvent, job: Job<SyncCompletedEvent>) => Promise<void>;
  /**
   * Events handled at once. Default 1, which keeps the relay's order (oldest first, so in order
   * per contact) across every process that consumes this queue: 1 is set as the queue's global
   * concurrency, so one event at a time is active on the queue, whichever replica holds it.
   * More than 1 is per process, and the queue's global limit is removed: it trades that order
   * for throughput, across replicas as within one.
   */
  concurrency?: number;
  /**
   * How long (ms) the lock on an event in hand lasts; it is renewed while the process lives.
   * Default 30000. With the stall check, it decides how soon an event held by a process that
   * died (kill -9, out of memory) is taken again.
   */
  lockMs?: number;
  /**
   * How often (ms) the consumer puts events whose lock expired back at the head of the queue.
   * Default 30000.
   */
  stalledCheckMs?: number;
  retry?: SyncCompletedRetryOptions;
  /** Called after every failed try. It must not throw; what it throws is ignored. */
  onTryFailed?: (failure: SyncCompletedTryFailure) => void;
  /**
   * Called once when a delivery failed for good: its attempts are spent, it was unrecoverable,
   * or it is not a v1 event (then `job.data` is whatever the queue held). Keep it where an
   * operator can replay it. It should not reject: a rejection is dropped, and the job stays in
   * BullMQ's bounded failed set.
   */
  onDeliveryFailed?: (job: Job<SyncCompletedEvent>, error: Error) => Promise<void>;
}

export interface SyncCompletedConsumer {
  readonly worker: Worker<SyncCompletedEvent>;
  /**
   * Resolves once the queue's concurrency limit is set and the worker takes events (it waits
   * for Redis), or once the consumer is closed before that. Rejects when the limit cannot be
   * set: the worker then takes no event, since
   * without the limit its order would not hold; the error is also emitted as the worker's
   * `error`.
   */
  readonly ready: Promise<void>;
  /**
   * Stops taking events and waits for the tries in hand. A delivery waiting between retries in
   * place goes back to the head of its queue at once, with no attempt spent.
   */
  close(): Promise<void>;
}

const RETRY_DEFAULTS: Required<SyncCompletedRetryOptions> = {
  windowMs: 300_000,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/**
 * A BullMQ worker on this consumer's own `sync-completed` queue.
 *
 * Delivery: every event at least once, and in order per contact while the handler recovers
 * within the retry window. A throw from `handle` is retried in place (capped exponential
 * backoff) for `retry.windowMs`: the event stays active at the head of the queue, so with
 * `concurrency: 1` (the queue's global limit) the events behind it wait and order holds, in
 * every replica. A process killed while it holds an event keeps the events behind waiting until
 * its lock expires and the stall check puts the event back first in line (up to `lockMs` +
 * `stalledCheckMs`). Past the window the delivery
 * falls back to BullMQ's attempts (the relay's: 6, exponential from 2 s), which take the events
 * behind it meanwhile, so order holds no longer. A delivery whose attempts are spent goes to
 * `onDeliveryFailed`. The trade-off: an event that can never be handled holds its consumer's
 * queue for the window; throw an `UnrecoverableError` to fail it at once. Events that do not
 * match the v1 schema fail at once (they will not get better).
 */
export function createSyncCompletedConsumer(
  options: SyncCompletedConsumerOptions,
): SyncCompletedConsumer {
  const closing = new AbortController();
  const concurrency = options.concurrency ?? 1;
  const connection = redisOptionsFromUrl(options.redisUrl) as ConnectionOptions;
  const prefix = options.prefix ?? 'sm';
  const worker = new Worker<SyncCompletedEvent>(
    syncCompletedQueue(options.consumer),
    async (job, token) => {
      if (job.name !== JobName.SyncCompleted) return;
      if (!isSyncCompletedEventV1(job.data)) {
        throw new UnrecoverableError(
          `not a sync-completed v1 event: ${explainInvalidEvent(job.data).join('; ')}`,
        );
      }
      await deliver(options, job, token, closing.signal);
    },
    {
      connection,
      prefix,
      concurrency,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.stalledCheckMs ?? 30_000,
      // Started once the queue's global concurrency is set, never before (see `ready`).
      autorun: false,
    },
  );
  const queue = new Queue(syncCompletedQueue(options.consumer), { connection, prefix });
  const ready = startOnceLimited(worker, queue, concurrency, closing.signal);
  // Also when a caller closes the worker itself.
  worker.on('closing', () => {
    closing.abort();
    queue.close().catch(() => undefined);
  });
  const onDeliveryFailed = options.onDeliveryFailed;
  if (onDeliveryFailed) {
    worker.on('failed', (job, error) => {
      const hasFailedForGood = typeof job?.finishedOn === 'number';
      if (job && hasFailedForGood) onDeliveryFailed(job, error).catch(() => undefined);
    });
  }

  return {
    worker,
    ready,
    close: async () => {
      closing.abort();
      await Promise.all([worker.close(), queue.close()]);
    },
  };
}

/**
 * Sets the queue's global concurrency, then starts the worker, unless it closed meanwhile (then
 * `ready` resolves: nothing failed). A failure is also the worker's `error` (the caller may not
 * await `ready`).
 */
function startOnceLimited(
  worker: Worker<SyncCompletedEvent>,
  queue: Queue,
  concurrency: number,
  closing: AbortSignal,
): Promise<void> {
  const ready = limitQueueConcurrency(queue, concurrency).then(
    () => {
      if (!closing.aborted) worker.run().catch((error) => worker.emit('error', error));
    },
    (error: Error) => {
      // Closed before it started: a shutdown, not a failure to start.
      if (closing.aborted) return;
      worker.emit('error', error);
      throw error;
    },
  );
  // The `error` event has said it; a caller that does not await `ready` must not crash.
  ready.catch(() => undefined);

  return ready;
}

/**
 * One event at a time on the whole queue keeps the order across processes: while an event is
 * active, or held by a process that died until the stall check puts it back first in line, no
 * replica takes the events behind it. A parallel consumer removes the limit, so that a queue
 * once ordered does not stay at one event at a time after its concurrency is raised.
 */
// TODO: the limit is the queue's, so of an ordered and a parallel consumer of one queue (the same
// consumer configured two ways, as during a rolling deploy that changes its concurrency) the one
// that starts last decides, silently; a consumer could read the limit first and refuse or warn.
// TODO: a Redis that loses its data (FLUSHALL, a restart without persistence) loses the limit
// too, and replicas then take a contact's events side by side until a consumer restarts; setting
// it again on a timer would close most of that gap. Rare, and one process keeps the order by its
// own concurrency of 1 meanwhile.
async function limitQueueConcurrency(queue: Queue, concurrency: number): Promise<void> {
  try {
    if (concurrency === 1) await queue.setGlobalConcurrency(1);
    else await queue.removeGlobalConcurrency();
  } finally {
    await queue.close();
  }
}

/** Tries the handler until it succeeds, the retry window ends, or the worker closes. */
async function deliver(
  options: SyncCompletedConsumerOptions,
  job: Job<SyncCompletedEvent>,
  token: string | undefined,
  closing: AbortSignal,
): Promise<void> {
  const retry = { ...RETRY_DEFAULTS, ...options.retry };
  // Only the first attempt holds the queue: a later one comes after BullMQ's backoff, when the
  // events behind it may already have been handled.
  const isRetriedInPlace = job.attemptsMade === 0 && retry.windowMs > 0;
  const deadline = Date.now() + retry.windowMs;

  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      await options.handle(job.data, job);

      return;
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const canRetry =
        isRetriedInPlace && !(error instanceof UnrecoverableError) && Date.now() < deadline;
      const backoffMs = Math.min(retry.initialDelayMs * 2 ** (tryNumber - 1), retry.maxDelayMs);
      const retryInMs =
        canRetry && !closing.aborted ? Math.min(backoffMs, deadline - Date.now()) : null;
      report(options, job, { tryNumber, error, retryInMs });
      if (canRetry && closing.aborted) await returnToHead(job, token);
      if (retryInMs === null) throw error;

      await sleep(retryInMs, closing);
      if (closing.aborted) await returnToHead(job, token);
    }
  }
}

/**
 * Puts the job back where it was, first in line, with no attempt spent (BullMQ's manual retry:
 * `moveToWait` and a `WaitingError`), so that a closing worker does not wait out a backoff.
 */
async function returnToHead(job: Job, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}

function report(
  options: SyncCompletedConsumerOptions,
  job: Job<SyncCompletedEvent>,
  failure: Pick<SyncCompletedTryFailure, 'tryNumber' | 'error' | 'retryInMs'>,
): void {
  try {
    options.onTryFailed?.({
      consumer: options.consumer,
      eventId: job.data.eventId,
      locationId: job.data.locationId,
      contactId: job.data.contactId,
      attempt: job.attemptsMade + 1,
      ...failure,
    });
  } catch {
    // An observer's own failure must not change the delivery.
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
