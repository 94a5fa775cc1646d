import { createHash } from 'node:crypto';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

import type { NotifyTeamAction } from '@sm/automation-rules';
import { JobName, QueueName, TaskCompletedJob, TeamNoticeJob, TeamNoticesJob } from '@sm/queues';

import { taskCompletedJobId } from '../../jobs/task-completed-job-id';
import type { ClaimedEffect } from '../effects/effect-ledger.service';
import { EffectLedger } from '../effects/effect-ledger.service';
import type { RuleTarget } from '../rules/rule-subjects';

/** The notice that reuses the platform's own task-completed notification. */
export const TASK_COMPLETED_NOTICE = 'task-completed';

/** Team notices carried by one `team.notices` job at most. */
const NOTICES_PER_JOB = 500;

export interface NoticeWork {
  effect: ClaimedEffect;
  action: NotifyTeamAction;
  subject: RuleTarget | null;
}

/**
 * Team notices, through the notification service's queue: a completed task's as the sync
 * engine's own notification (the same job id, so the two are one), the others many to a job.
 * Each notice carries a dedupe key per effect, by which the notification service sends it once
 * however often it arrives (a retry after a lost commit may group the notices differently).
 */
@Injectable()
export class TeamNoticeService {
  constructor(
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue,
    private readonly ledger: EffectLedger,
  ) {}

  async send(work: NoticeWork[]): Promise<void> {
    if (work.length === 0) return;
    try {
      await this.notifications.addBulk(noticeJobs(work));
    } catch (error) {
      await this.ledger.release(work.map((item) => item.effect.id));
      throw error;
    }
    await this.ledger.complete(
      work.map((item) => item.effect.id),
      { queued: QueueName.Notifications },
    );
  }
}

function noticeJobs(work: NoticeWork[]) {
  const isTaskCompleted = ({ action, subject }: NoticeWork) =>
    action.notice === TASK_COMPLETED_NOTICE && subject?.kind === 'task';
  const jobs: Array<{ name: string; data: unknown; opts: { jobId: string } }> = work
    .filter(isTaskCompleted)
    .map(taskCompletedJob);
  const notices = work.filter((item) => !isTaskCompleted(item));
  for (let start = 0; start < notices.length; start += NOTICES_PER_JOB) {
    const chunk = notices.slice(start, start + NOTICES_PER_JOB);
    const data: TeamNoticesJob = { notices: chunk.map(teamNotice) };
    jobs.push({ name: JobName.TeamNotices, data, opts: { jobId: noticesJobId(chunk) } });
  }

  return jobs;
}

/**
 * Named by the set of its effects: the same claims again make the same job (a no-op), any other
 * grouping a job of its own, never one taken for another that lacks some of its notices.
 */
function noticesJobId(chunk: NoticeWork[]): string {
  const ids = chunk.map(({ effect }) => effect.id).sort();

  return `team-notices.${createHash('sha256').update(ids.join(',')).digest('hex')}`;
}

function taskCompletedJob({ effect, subject }: NoticeWork) {
  const task = subject as RuleTarget;
  const data: Required<TaskCompletedJob> = {
    locationId: effect.locationId,
    contactId: effect.contactId,
    taskId: task.id,
    completedAt: (task.completedAt as Date).toISOString(),
  };

  return { name: JobName.TaskCompleted, data, opts: { jobId: taskCompletedJobId(data) } };
}

function teamNotice({ effect, action, subject }: NoticeWork): TeamNoticeJob {
  return {
    locationId: effect.locationId,
    contactId: effect.contactId,
    ruleId: effect.ruleId,
    notice: action.notice,
    subject,
    dedupeKey: `team-notice:${effect.id}`,
  };
}
