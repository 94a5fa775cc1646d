import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import {
  DEFAULT_JOB_OPTIONS,
  JobName,
  redisOptionsFromUrl,
  syncCompletedQueue,
  TaskCompletedJob,
} from '@sm/queues';
import type { SyncCompletedEvent } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { FailingStreakLog } from '../failures/failing-streak-log';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { HELD_CONTACT_EVENTS, RecordWriter } from '../records/record-writer.service';

/** Any fixed number: the advisory lock that lets one relay publish at a time, in id order. */
const RELAY_LOCK = 7_300_311;
const BATCH_SIZE = 200;

/** One event as a consumer's job: its id is the event id, so a second add is a duplicate. */
export function syncCompletedJob(event: SyncCompletedEvent) {
  return { name: JobName.SyncCompleted, data: event, opts: { jobId: event.eventId } };
}

/** An outbox row: a `sync-completed` event, or a task-completed notice (its `JobName`). */
interface OutboxRow {
  id: string;
  event_type: string;
  payload: unknown;
}

/**
 * Publishes `outbox_events`, oldest first, then marks them published: `sync-completed` events to
 * every registered consumer's queue, task-completed notices to the notification queue. A crash
 * between the two publishes again: the job id is the event id (a notice's, its completion), so a
 * queue that still holds the job takes the second add for a duplicate, and consumers (the
 * notification service too) dedupe the rest.
 *
 * A location run's held contact events are left alone: its success drops them, its failure or
 * its retry releases them, and this relay does after an hour for a run killed and never tried
 * again (see `RecordWriter.holdContactEvents`).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly queues: Queue[];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly polls = new FailingStreakLog(this.logger, 'outbox relay polls');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly enqueuer: JobEnqueuer,
    private readonly records: RecordWriter,
  ) {
    this.queues = config.SYNC_COMPLETED_CONSUMERS.map(
      (consumer) =>
        new Queue(syncCompletedQueue(consumer), {
          connection: redisOptionsFromUrl(config.REDIS_URL) as ConnectionOptions,
          prefix: config.QUEUE_PREFIX,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
    );
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all(this.queues.map((queue) => queue.close()));
  }

  /** Publishes one batch; returns how many it published (0 while another relay holds the lock). */
  publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        RELAY_LOCK,
      ]);
      if (!locked) return 0;

      await this.records.releaseStaleContactEvents(manager);
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, event_type, payload FROM outbox_events
         WHERE published_at IS NULL AND event_type <> $2
         ORDER BY id LIMIT $1`,
        [BATCH_SIZE, HELD_CONTACT_EVENTS],
      );
      if (rows.length === 0) return 0;

      await this.publish(rows);
      await manager.query('UPDATE outbox_events SET published_at = now() WHERE id = ANY($1)', [
        rows.map((row) => row.id),
      ]);

      return rows.length;
    });
  }

  private async publish(rows: OutboxRow[]): Promise<void> {
    const isNotice = (row: OutboxRow) => row.event_type === JobName.TaskCompleted;
    const notices = rows.filter(isNotice).map((row) => row.payload as Required<TaskCompletedJob>);
    const jobs = rows
      .filter((row) => !isNotice(row))
      .map((row) => syncCompletedJob(row.payload as SyncCompletedEvent));
    await Promise.all([
      ...(jobs.length > 0 ? this.queues.map((queue) => queue.addBulk(jobs)) : []),
      ...(notices.length > 0 ? [this.enqueuer.taskCompleted(notices)] : []),
    ]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishBatch();
        this.polls.succeeded();
      } catch (error) {
        this.polls.failed(error);
      }
      if (published < BATCH_SIZE) await this.pause(this.config.OUTBOX_POLL_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
