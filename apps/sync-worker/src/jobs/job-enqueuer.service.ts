import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';

import {
  AdminAlertJob,
  JobKey,
  JobName,
  JobPriority,
  ProcessWebhookJob,
  QueueName,
  SyncContactJob,
  SweepTasksJob,
  SyncLocationJob,
  TaskCompletedJob,
} from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { taskCompletedJobId } from './task-completed-job-id';

/**
 * Every job this worker adds, with the options that make it unique. Keeping them in one place
 * lets a parked job be replayed exactly as it was first added.
 */
@Injectable()
export class JobEnqueuer {
  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    @InjectQueue(QueueName.ContactSync) private readonly contactSync: Queue,
    @InjectQueue(QueueName.LocationSync) private readonly locationSync: Queue,
    @InjectQueue(QueueName.WebhookEvents) private readonly webhookEvents: Queue,
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue,
  ) {}

  /**
   * One fetch per contact per coalescing window. BullMQ's deduplication absorbs adds while the
   * job waits; with `keepLastIfActive`, an add that arrives while the job already runs is kept
   * and becomes one more job when the running one finishes, so no change is missed. A waiting
   * job keeps the first add's options, so a webhook absorbed into a reconciliation fetch raises
   * it to its own priority and cause (see raiseWaitingJob).
   */
  async syncContact(data: SyncContactJob, priority: number = JobPriority.RealTime) {
    const options: JobsOptions = {
      deduplication: {
        id: JobKey.contactSync(data.locationId, data.contactId),
        keepLastIfActive: true,
      },
      delay: this.config.CONTACT_SYNC_COALESCE_MS,
      priority,
    };

    const added = await this.contactSync.add(JobName.SyncContact, data, options);
    await this.raiseWaitingJob(added.id, data, priority);

    return added;
  }

  /**
   * The job an add was absorbed into, raised to the add's priority when that is higher (lower
   * in BullMQ), and to a webhook's cause: it then spends the realtime budget and runs before
   * reconciliation work, as the webhook's own job would have. A job already running is left
   * alone: the add is kept for the one after it.
   *
   * TODO: the state is read, then the priority and data changed, in three calls: a job that
   * starts in between runs as it was added (the fetch still follows the webhook), and one that
   * finished in between cannot be raised, which costs nothing. A Lua script would make it one.
   */
  private async raiseWaitingJob(jobId: string | undefined, data: SyncContactJob, priority: number) {
    const held = jobId ? await this.contactSync.getJob(jobId) : undefined;
    // BullMQ's 0 is no priority at all, which runs before any other.
    if (!held || held.priority <= priority) return;
    if (!['delayed', 'prioritized', 'waiting'].includes(await held.getState())) return;

    try {
      await held.changePriority({ priority });
      if (data.cause === 'webhook' && held.data.cause !== 'webhook') {
        await held.updateData({ ...held.data, cause: data.cause, inboxId: data.inboxId });
      }
    } catch (error) {
      // Gone meanwhile (it ran and finished), which is all these calls throw for: the webhook's
      // change was fetched by it or after it.
      if (await this.contactSync.getJob(held.id as string)) throw error;
    }
  }

  syncLocation(data: SyncLocationJob) {
    return this.locationSync.add(JobName.SyncLocation, data, {
      deduplication: { id: `location-sync.${data.locationId}` },
      priority: JobPriority.Reconciliation,
    });
  }

  /** One task sweep now, in the shape its schedule adds (a parked sweep replayed). */
  sweepTasks(data: SweepTasksJob) {
    return this.locationSync.add(JobName.SweepTasks, data, {
      deduplication: { id: `task-sweep.${data.locationId}` },
      priority: JobPriority.Reconciliation,
    });
  }

  /**
   * A webhook job again, in the ingress's shape (job id = inbox id). The failed job of that id
   * is removed first: BullMQ would otherwise take the add for a duplicate of it.
   */
  async replayWebhook(data: ProcessWebhookJob) {
    const previous = await this.webhookEvents.getJob(data.inboxId);
    if (previous && (await previous.isFailed())) await previous.remove();

    return this.webhookEvents.add(JobName.ProcessWebhook, data, { jobId: data.inboxId });
  }

  /**
   * Once per completion of a task, added by the outbox relay once the write that saw it has
   * committed; the notification service dedupes by the same version.
   */
  taskCompleted(notices: Required<TaskCompletedJob>[]) {
    return this.notifications.addBulk(
      notices.map((data) => ({
        name: JobName.TaskCompleted,
        data,
        opts: { jobId: taskCompletedJobId(data) },
      })),
    );
  }

  adminAlert(data: AdminAlertJob) {
    return this.notifications.add(JobName.AdminAlert, data, {
      jobId: `admin-alert.${data.dedupeKey.replace(/:/g, '.')}`,
    });
  }

  /** Sets (or replaces) the location's nightly full sync, at midnight in its own zone. */
  scheduleNightlySync(locationId: string, timeZone: string) {
    return this.locationSync.upsertJobScheduler(
      JobKey.nightlySync(locationId),
      { pattern: this.config.NIGHTLY_SYNC_CRON, tz: timeZone },
      {
        name: JobName.SyncLocation,
        data: { locationId, trigger: 'nightly' } satisfies SyncLocationJob,
        opts: { priority: JobPriority.Reconciliation },
      },
    );
  }

  removeNightlySync(locationId: string) {
    return this.locationSync.removeJobScheduler(JobKey.nightlySync(locationId));
  }

  /** Sets (or replaces) the location's periodic task sweep (a cron, so a boot does not run it). */
  scheduleTaskSweep(locationId: string) {
    return this.locationSync.upsertJobScheduler(
      JobKey.taskSweep(locationId),
      { pattern: this.config.TASK_SWEEP_CRON },
      {
        name: JobName.SweepTasks,
        data: { locationId } satisfies SweepTasksJob,
        opts: { priority: JobPriority.Reconciliation },
      },
    );
  }

  removeTaskSweep(locationId: string) {
    return this.locationSync.removeJobScheduler(JobKey.taskSweep(locationId));
  }
}
