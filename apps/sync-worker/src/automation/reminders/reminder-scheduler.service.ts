import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';

import { FireReminderJob, JobName, QueueName } from '@sm/queues';

const MINUTE_MS = 60_000;

/** What the records say one reminder rule wants for one task or appointment. */
export interface ReminderWish {
  locationId: string;
  contactId: string;
  ruleId: string;
  actionIndex: number;
  subject: { kind: 'task' | 'appointment'; id: string };
  /** The date to remind before; null when no reminder is wanted (completed, cancelled…). */
  dueAt: Date | null;
  leadMinutes: number[];
  now: number;
}

interface NewTimer {
  job: { name: string; data: FireReminderJob; opts: { jobId: string; delay: number } };
  moved: boolean;
  locationId: string;
}

/** One timer per rule, subject and lead time: the id a later change finds it by. */
export function reminderJobId(
  wish: Pick<ReminderWish, 'locationId' | 'ruleId' | 'subject'>,
  leadMinutes: number,
): string {
  const { locationId, ruleId, subject } = wish;

  return `reminder.${locationId}.${ruleId}.${subject.kind}.${subject.id}.${leadMinutes}`;
}

// TODO: timers of a contact deleted in GHL are not cancelled with it (its records are not read
// again); they fire, find the task or appointment tombstoned, and send nothing.
/**
 * Reminder timers as delayed BullMQ jobs with stable ids: set when a task or appointment gets a
 * date, moved when the date moves, cancelled when it is completed, deleted or cancelled. The
 * timer re-checks the records when it fires (ReminderFiring), so a late cancel is still safe.
 */
@Injectable()
export class ReminderScheduler {
  private readonly logger = new Logger(ReminderScheduler.name);

  constructor(@InjectQueue(QueueName.Automation) private readonly queue: Queue) {}

  /** Timers of different subjects are independent: their Redis calls go out together. */
  async reconcile(wishes: ReminderWish[]): Promise<void> {
    const timers = await Promise.all(
      wishes.flatMap((wish) => wish.leadMinutes.map((lead) => this.reconcileOne(wish, lead))),
    );
    const toAdd = timers.filter((timer): timer is NewTimer => timer !== undefined);
    if (toAdd.length === 0) return;

    await this.queue.addBulk(toAdd.map(({ job }) => job));
    for (const { job, moved, locationId } of toAdd) {
      const fireAt = new Date(Date.now() + job.opts.delay).toISOString();
      this.logger.log(
        { locationId, jobId: job.opts.jobId, fireAt },
        moved ? 'reminder moved' : 'reminder set',
      );
    }
  }

  /** Cancels or keeps the timer in place; returns the one to add when it must be (re)set. */
  private async reconcileOne(
    wish: ReminderWish,
    leadMinutes: number,
  ): Promise<NewTimer | undefined> {
    const jobId = reminderJobId(wish, leadMinutes);
    const isWanted = wish.dueAt !== null && wish.dueAt.getTime() > wish.now;
    if (!isWanted) {
      // One call, a no-op when there is no timer. A running timer (locked) is left to finish:
      // it re-checks the records itself.
      const removed = await this.queue.remove(jobId).catch(() => 0);
      if (removed) this.logger.log({ locationId: wish.locationId, jobId }, 'reminder cancelled');

      return undefined;
    }
    const existing: Job<FireReminderJob> | undefined = await this.queue.getJob(jobId);
    const dueAt = wish.dueAt?.toISOString();

    if (existing && existing.data.dueAt === dueAt) return undefined;
    if (existing) {
      const state = await existing.getState();
      // A running timer finishes on its own and re-checks the records itself.
      if (state === 'active') return undefined;
      await existing.remove();
    }

    const fireAt = (wish.dueAt as Date).getTime() - leadMinutes * MINUTE_MS;
    const data: FireReminderJob = {
      locationId: wish.locationId,
      contactId: wish.contactId,
      ruleId: wish.ruleId,
      subject: wish.subject,
      dueAt: dueAt as string,
      leadMinutes,
    };
    const opts = { jobId, delay: Math.max(0, fireAt - wish.now) };

    return {
      job: { name: JobName.FireReminder, data, opts },
      moved: existing !== undefined,
      locationId: wish.locationId,
    };
  }
}
