import type { TaskCompletedJob } from '@sm/queues';

/**
 * One job per completion of a task: a task completed, reopened and completed again is two
 * completions and notifies twice, while the same completion reported again (a retried sync, a
 * sweep, the automation rule) is the same id, which BullMQ takes for a duplicate. The version is
 * `completed_at` as SolarMarket first saw it, the same in every producer. GHL gives a task no
 * version or completion time, so that is our fetch time: it names one completion only once it
 * is committed, which is why the sync adds these jobs through the outbox, after its commit.
 */
export function taskCompletedJobId(job: Required<TaskCompletedJob>): string {
  return `task-completed.${job.locationId}.${job.taskId}.${Date.parse(job.completedAt)}`;
}
