import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

import type { NotifyTeamAction } from '@sm/automation-rules';
import { JobName, QueueName, TaskCompletedJob, TeamNoticeJob } from '@sm/queues';

import type { ClaimedEffect } from '../effects/effect-ledger.service';
import { EffectLedger } from '../effects/effect-ledger.service';

/** The notice that reuses the platform's own task-completed notification. */
export const TASK_COMPLETED_NOTICE = 'task-completed';

export interface NoticeWork {
  effect: ClaimedEffect;
  action: NotifyTeamAction;
  subject: { kind: 'task' | 'appointment'; id: string } | null;
}

// TODO: the notification service renders `task.completed` only; until it handles `team.notice`
// (and `reminder.due`), it fails those jobs at once as unknown, without retries. Safe for now:
// nothing is sent twice, and each effect row records what was queued, to replay once it does.
/**
 * Team notices, through the notification service's queue. Job ids are stable per effect (and,
 * for a completed task, the same as the sync engine's), so a retry after a lost commit is taken
 * for a duplicate; the notification service dedupes by its own key as well.
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
      await this.notifications.addBulk(work.map(noticeJob));
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

function noticeJob({ effect, action, subject }: NoticeWork) {
  const isTaskCompleted = action.notice === TASK_COMPLETED_NOTICE && subject?.kind === 'task';
  if (isTaskCompleted) {
    const data: TaskCompletedJob = {
      locationId: effect.locationId,
      contactId: effect.contactId,
      taskId: subject.id,
    };

    return {
      name: JobName.TaskCompleted,
      data,
      opts: { jobId: `task-completed.${effect.locationId}.${subject.id}` },
    };
  }
  const data: TeamNoticeJob = {
    locationId: effect.locationId,
    contactId: effect.contactId,
    ruleId: effect.ruleId,
    notice: action.notice,
    subject,
    dedupeKey: `team-notice:${effect.id}`,
  };

  return { name: JobName.TeamNotice, data, opts: { jobId: `team-notice.${effect.id}` } };
}
