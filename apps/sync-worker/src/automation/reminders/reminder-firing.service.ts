import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { Appointment, Task } from '@sm/entities';
import { FireReminderJob, JobName, QueueName, ReminderDueJob } from '@sm/queues';

import { EffectLedger } from '../effects/effect-ledger.service';
import { RuleBook } from '../rules/rule-book.service';
import { isInStatus } from '../rules/rule-subjects';

export type FiringOutcome = 'sent' | 'already-sent' | 'stale';

/**
 * A reminder timer went off. The records are read again first: a task completed or deleted, an
 * appointment cancelled or moved, or a rule switched off since the timer was set sends nothing.
 * The notice itself is an effect, claimed once per subject, date and lead time.
 */
@Injectable()
export class ReminderFiring {
  private readonly logger = new Logger(ReminderFiring.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue,
    private readonly rules: RuleBook,
    private readonly ledger: EffectLedger,
  ) {}

  async fire(job: FireReminderJob, jobId?: string): Promise<FiringOutcome> {
    const fields = { locationId: job.locationId, ruleId: job.ruleId, jobId };
    const actionIndex = await this.reminderActionIndex(job);
    const isStillDue = actionIndex >= 0 && (await this.isStillDue(job));
    if (!isStillDue) {
      this.logger.log(fields, 'reminder skipped: no longer due');

      return 'stale';
    }

    const { kind, id } = job.subject;
    const subjectKey = `reminder:${kind}:${id}:${job.dueAt}:${job.leadMinutes}`;
    const [effect] = await this.ledger.claim([
      {
        locationId: job.locationId,
        ruleId: job.ruleId,
        subjectKey,
        actionIndex,
        contactId: job.contactId,
        kind: 'reminder',
      },
    ]);
    if (!effect) return 'already-sent';

    const data: ReminderDueJob = { ...job, dedupeKey: `reminder-due:${effect.id}` };
    try {
      await this.notifications.add(JobName.ReminderDue, data, {
        jobId: `reminder-due.${effect.id}`,
      });
    } catch (error) {
      await this.ledger.release([effect.id]);
      throw error;
    }
    await this.ledger.complete([effect.id], { queued: QueueName.Notifications });
    this.logger.log(fields, 'reminder sent');

    return 'sent';
  }

  /** The rule's reminder action, or -1 when the rule is off for the location or has none. */
  private async reminderActionIndex(job: FireReminderJob): Promise<number> {
    const enabled = await this.rules.enabledFor(job.locationId);
    const rule = enabled.find((candidate) => candidate.rule.id === job.ruleId)?.rule;
    if (!rule) return -1;

    return rule.actions.findIndex(
      (action) =>
        action.type === 'schedule-reminder' && action.leadMinutes.includes(job.leadMinutes),
    );
  }

  private async isStillDue(job: FireReminderJob): Promise<boolean> {
    const dueAt = Date.parse(job.dueAt);
    const key = { locationId: job.locationId, id: job.subject.id };
    if (job.subject.kind === 'task') {
      const task = await this.dataSource.getRepository(Task).findOneBy(key);

      return !!task && !task.completed && !task.deletedAt && task.dueDate?.getTime() === dueAt;
    }
    const appointment = await this.dataSource.getRepository(Appointment).findOneBy(key);
    if (!appointment || appointment.startTime?.getTime() !== dueAt) return false;
    const enabled = await this.rules.enabledFor(job.locationId);
    const trigger = enabled.find(({ rule }) => rule.id === job.ruleId)?.rule.trigger;
    const statuses = trigger?.event === 'appointment.status' ? trigger.statuses : [];

    return isInStatus(appointment, statuses, Date.now());
  }
}
