import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource, IsNull } from 'typeorm';

import { ParkedJob } from '@sm/entities';
import {
  JobPriority,
  ProcessWebhookJob,
  QueueName,
  SyncContactJob,
  SyncLocationJob,
} from '@sm/queues';

import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { BudgetAlerts } from './budget-alerts.service';
import { describeError } from './job-errors';

/**
 * Jobs that failed their last attempt are parked in Postgres with their error, an admin is
 * alerted, and an operator can replay them.
 */
@Injectable()
export class ParkedJobs {
  private readonly logger = new Logger(ParkedJobs.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly enqueuer: JobEnqueuer,
    private readonly budgetAlerts: BudgetAlerts,
  ) {}

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

  list(limit = 100): Promise<ParkedJob[]> {
    return this.dataSource.getRepository(ParkedJob).find({
      where: { replayedAt: IsNull() },
      order: { parkedAt: 'ASC' },
      take: limit,
    });
  }

  /** Adds the parked job again, as it was first added, and marks it replayed. */
  async replay(id: string): Promise<{ id: string; queueName: string; jobId: string | undefined }> {
    const repository = this.dataSource.getRepository(ParkedJob);
    const parked = await repository.findOneBy({ id });
    if (!parked || parked.replayedAt) throw new NotFoundException('no parked job to replay');

    const job = await this.reAdd(parked);
    await repository.update({ id }, { replayedAt: new Date() });
    this.logger.log({ locationId: parked.locationId, jobId: job.id }, 'parked job replayed');

    return { id, queueName: parked.queueName, jobId: job.id };
  }

  private async reAdd(parked: ParkedJob): Promise<Job> {
    const data = parked.data as unknown;
    switch (parked.queueName) {
      case QueueName.ContactSync:
        return this.enqueuer.syncContact(data as SyncContactJob, JobPriority.RealTime);
      case QueueName.LocationSync:
        return this.enqueuer.syncLocation(data as SyncLocationJob);
      case QueueName.WebhookEvents:
        return this.enqueuer.replayWebhook(data as ProcessWebhookJob);
      default:
        throw new NotFoundException(`jobs of ${parked.queueName} are not replayed here`);
    }
  }
}
