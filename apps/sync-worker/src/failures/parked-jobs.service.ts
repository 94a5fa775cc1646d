import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ConnectionOptions, Job, Queue } from 'bullmq';
import { DataSource, IsNull } from 'typeorm';

import { ParkedJob } from '@sm/entities';
import {
  DEFAULT_JOB_OPTIONS,
  JobName,
  JobPriority,
  ProcessWebhookJob,
  QueueName,
  redisOptionsFromUrl,
  SweepTasksJob,
  syncCompletedQueue,
  SyncContactJob,
  SyncLocationJob,
} from '@sm/queues';
import { isSyncCompletedEventV1, SYNC_COMPLETED } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { LocationGate } from '../connections/location-gate.service';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { syncCompletedJob } from '../outbox/outbox-relay.service';
import { BudgetAlerts } from './budget-alerts.service';
import { describeError } from './job-errors';

/** One page of parked jobs, oldest first; `nextCursor` asks for the page after it. */
export interface ParkedJobPage {
  data: ParkedJob[];
  nextCursor: string | null;
  /** Parked jobs not replayed yet, on every page. */
  total: number;
}

export interface ParkedJobPageQuery {
  limit: number;
  /** The id of the last parked job of the page before. */
  after?: string;
}

const CONTACT_SYNC_CAUSES: readonly unknown[] = ['webhook', 'location-sync', 'manual'];
const LOCATION_SYNC_TRIGGERS: readonly unknown[] = ['install', 'nightly', 'manual'];
const SYNC_COMPLETED_QUEUE_PREFIX = `${SYNC_COMPLETED}.`;

const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Jobs that failed their last attempt are parked in Postgres with their error, an admin is
 * alerted, and an operator can replay them.
 */
@Injectable()
export class ParkedJobs implements OnApplicationShutdown {
  private readonly logger = new Logger(ParkedJobs.name);
  /** `sync-completed` queues of the consumers a replay delivered to, opened on first use. */
  private readonly consumerQueues = new Map<string, Queue>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly enqueuer: JobEnqueuer,
    private readonly budgetAlerts: BudgetAlerts,
    private readonly gate: LocationGate,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.consumerQueues.values()].map((queue) => queue.close()));
  }

  /**
   * The worker's 'failed' listener: parks the job only once it will not be retried, and alerts
   * once a day when the location's GHL budget is spent. It never rejects (an event listener's
   * rejection would go unhandled): when Postgres cannot take the parked row, the job stays in
   * BullMQ's bounded failed set and the error is logged.
   */
  async parkIfFinal(queueName: string, job: Job | undefined, error: Error): Promise<void> {
    await this.budgetAlerts.alertIfExhausted(queueName, job, error);
    try {
      await this.park(queueName, job, error);
    } catch (parkError) {
      this.logger.error(
        { queue: queueName, jobId: job?.id, error: describeError(parkError) },
        'job could not be parked; it stays in the failed set',
      );
    }
  }

  private async park(queueName: string, job: Job | undefined, error: Error): Promise<void> {
    if (!job) return;
    const hasExhaustedAttempts = typeof job.finishedOn === 'number';
    if (!hasExhaustedAttempts) return;

    const locationId = typeof job.data?.locationId === 'string' ? job.data.locationId : null;
    const parked = await this.dataSource.getRepository(ParkedJob).save({
      queueName,
      jobName: job.name,
      jobId: job.id ?? null,
      locationId,
      data: job.data,
      failedReason: describeError(error),
      attemptsMade: job.attemptsMade,
    });
    this.logger.error(
      { locationId, jobId: job.id, queue: queueName, parkedJobId: parked.id },
      'job parked after its last attempt',
    );
    await this.enqueuer.adminAlert({
      kind: 'job-parked',
      locationId,
      dedupeKey: `job-parked.${parked.id}`,
      summary:
        `${queueName}/${job.name} failed ${job.attemptsMade} time(s), parked as ${parked.id}: ` +
        error.message.slice(0, 200),
    });
  }

  /**
   * Parked jobs not replayed yet, oldest first, one page at a time.
   *
   * TODO: a walk through the pages can skip a job whose parking commits late: `parked_at` is the
   * parking transaction's start (`now()`), so the row can sort before a cursor a reader already
   * holds. Postgres has no commit-ordered key to page by short of serialising the parkings; the
   * worker parks in one-statement transactions, so the window is one insert long, and a walk
   * from the first page sees the job (README, admin routes).
   */
  async list(query: ParkedJobPageQuery): Promise<ParkedJobPage> {
    const repository = this.dataSource.getRepository(ParkedJob);
    const page = repository
      .createQueryBuilder('parked')
      .where('parked.replayedAt IS NULL')
      .orderBy('parked.parkedAt', 'ASC')
      .addOrderBy('parked.id', 'ASC')
      .limit(query.limit + 1);
    if (query.after) {
      if (!(await repository.existsBy({ id: query.after }))) {
        throw new BadRequestException(['cursor: no parked job has this cursor']);
      }
      // Compared in SQL: parked_at has microseconds, which a cursor of a JS Date would lose.
      page.andWhere(
        '(parked.parked_at, parked.id) > ' +
          '(SELECT previous.parked_at, previous.id FROM parked_jobs previous ' +
          'WHERE previous.id = :after)',
        { after: query.after },
      );
    }
    const [rows, total] = await Promise.all([
      page.getMany(),
      repository.countBy({ replayedAt: IsNull() }),
    ]);
    const data = rows.slice(0, query.limit);
    const hasMore = rows.length > query.limit;

    return { data, nextCursor: hasMore ? data[data.length - 1].id : null, total };
  }

  /**
   * Adds the parked job again as it was first added, and marks it replayed, in one transaction
   * that holds the row locked across the add: of concurrent replays only one finds the row (the
   * others skip it: a 404), and a replay whose add fails, or whose process dies before it
   * commits, leaves the job parked and unmarked. A job of a kind this worker does not replay, or
   * whose data no longer fits its kind, is a 409. A replay at the same time as one that then
   * fails is a 404 although the job stays parked; a death after the add and before the commit
   * leaves a job added and still parked, which a second replay adds again (the job ids and
   * deduplication keys absorb it, as they absorb any duplicate add). A replay is an operator's
   * word that the job's location may run now: its pause is lifted and its put-off jobs run,
   * the one the replay may be absorbed into among them.
   */
  async replay(id: string): Promise<{ id: string; queueName: string; jobId: string | undefined }> {
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ParkedJob);
      const parked = await repository
        .createQueryBuilder('parked')
        .where('parked.id = :id AND parked.replayed_at IS NULL', { id })
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getOne();
      if (!parked) throw new NotFoundException('no parked job to replay');

      if (parked.locationId) await this.gate.resume(parked.locationId);
      const job = await this.reAdd(parked);
      await repository.update({ id }, { replayedAt: new Date() });
      this.logger.log({ locationId: parked.locationId, jobId: job.id }, 'parked job replayed');

      return { id, queueName: parked.queueName, jobId: job.id };
    });
  }

  private reAdd(parked: ParkedJob): Promise<Job> {
    const data = parked.data;
    const refuse = (why: string): never => {
      throw new ConflictException(
        `parked job ${parked.id} (${parked.queueName}/${parked.jobName}) is not replayed: ${why}`,
      );
    };
    // A row written by hand or by an older release may hold anything (null, a list).
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return refuse('its data is not an object');
    }
    if (parked.queueName.startsWith(SYNC_COMPLETED_QUEUE_PREFIX)) {
      return this.redeliver(parked, refuse);
    }

    switch (`${parked.queueName}/${parked.jobName}`) {
      case `${QueueName.ContactSync}/${JobName.SyncContact}`:
        if (!isId(data.locationId) || !isId(data.contactId)) refuse('it names no contact');
        if (!CONTACT_SYNC_CAUSES.includes(data.cause)) refuse('it has no cause');
        return this.enqueuer.syncContact(data as unknown as SyncContactJob, JobPriority.RealTime);
      case `${QueueName.LocationSync}/${JobName.SyncLocation}`:
        if (!isId(data.locationId)) refuse('it names no location');
        if (!LOCATION_SYNC_TRIGGERS.includes(data.trigger)) refuse('it has no trigger');
        return this.enqueuer.syncLocation(data as unknown as SyncLocationJob);
      case `${QueueName.LocationSync}/${JobName.SweepTasks}`:
        if (!isId(data.locationId)) refuse('it names no location');
        return this.enqueuer.sweepTasks({ locationId: data.locationId } as SweepTasksJob);
      case `${QueueName.WebhookEvents}/${JobName.ProcessWebhook}`:
        // BullMQ refuses a job id with a colon; the ingress' inbox ids have none.
        if (!isId(data.inboxId) || data.inboxId.includes(':')) refuse('it names no inbox row');
        return this.enqueuer.replayWebhook(data as unknown as ProcessWebhookJob);
      default:
        return refuse(
          'this worker replays contact syncs, location syncs, task sweeps, ' +
            'webhooks and sync-completed deliveries only',
        );
    }
  }

  /**
   * A `sync-completed` delivery again, to the consumer that failed it, as the relay adds it. A
   * failed or completed job of that id is removed first: BullMQ would take the add for a
   * duplicate of it.
   */
  private async redeliver(parked: ParkedJob, refuse: (why: string) => never): Promise<Job> {
    const consumer = parked.queueName.slice(SYNC_COMPLETED_QUEUE_PREFIX.length);
    if (parked.jobName !== JobName.SyncCompleted) refuse('it is not a sync-completed delivery');
    if (!this.config.SYNC_COMPLETED_CONSUMERS.includes(consumer)) {
      refuse(`${consumer} is no registered consumer`);
    }
    if (!isSyncCompletedEventV1(parked.data)) refuse('it is not a sync-completed v1 event');

    const queue = this.consumerQueue(consumer);
    const job = syncCompletedJob(parked.data as never);
    const previous = await queue.getJob(job.opts.jobId);
    const state = await previous?.getState();
    if (state === 'failed' || state === 'completed') await previous?.remove();

    return queue.add(job.name, job.data, job.opts);
  }

  private consumerQueue(consumer: string): Queue {
    const existing = this.consumerQueues.get(consumer);
    if (existing) return existing;

    const queue = new Queue(syncCompletedQueue(consumer), {
      connection: redisOptionsFromUrl(this.config.REDIS_URL) as ConnectionOptions,
      prefix: this.config.QUEUE_PREFIX,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    this.consumerQueues.set(consumer, queue);

    return queue;
  }
}
