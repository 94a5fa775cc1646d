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

  /**
   * Timers of different subjects are independent: what each timer holds now is read in one
   * round trip, and only the timers that must change cost a call of their own.
   */
  async reconcile(wishes: ReminderWish[]): Promise<void> {
    const wanted = wishes.flatMap((wish) =>
      wish.leadMinutes.map((leadMinutes) => ({
        wish,
        leadMinutes,
        jobId: reminderJobId(wish, leadMinutes),
      })),
    );
    if (wanted.length === 0) return;

    const held = await this.timerDueDates(wanted.map(({ jobId }) => jobId));
    const timers = await Promise.all(
      wanted.map(({ wish, leadMinutes, jobId }, index) =>
        this.reconcileOne(wish, leadMinutes, jobId, held[index]),
      ),
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

  /**
   * For each timer id, the due date it was set for, or null when there is no such timer. One
   * pipeline over BullMQ's job hashes (their `data` field is the job's JSON) instead of a job
   * read per timer: most wishes find their timer as it should be, or none to cancel.
   */
  private async timerDueDates(jobIds: string[]): Promise<Array<string | null | undefined>> {
    const client = await this.queue.getBackend().client;
    const pipeline = client.pipeline();
    for (const jobId of jobIds) pipeline.hgetall(this.queue.toKey(jobId));
    const replies = (await pipeline.exec()) ?? [];

    return replies.map(([error, hash]) => {
      if (error) throw error;
      const data = (hash as Record<string, string> | null)?.data;
      if (data === undefined) return null;

      return (JSON.parse(data) as Partial<FireReminderJob>).dueAt;
    });
  }

  /**
   * Cancels or keeps the timer in place; returns the one to add when it must be (re)set.
   * `heldDueAt` is what the timer holds (null: no timer).
   */
  private async reconcileOne(
    wish: ReminderWish,
    leadMinutes: number,
    jobId: string,
    heldDueAt: string | null | undefined,
  ): Promise<NewTimer | undefined> {
    const hasTimer = heldDueAt !== null;
    const isWanted = wish.dueAt !== null && wish.dueAt.getTime() > wish.now;
    if (!isWanted) {
      if (!hasTimer) return undefined;
      // A no-op when the timer went meanwhile. A running timer (locked) is left to finish: it
      // re-checks the records itself.
      const removed = await this.queue.remove(jobId).catch(() => 0);
      if (removed) this.logger.log({ locationId: wish.locationId, jobId }, 'reminder cancelled');

      return undefined;
    }
    const dueAt = (wish.dueAt as Date).toISOString();
    if (hasTimer && heldDueAt === dueAt) return undefined;

    const existing: Job<FireReminderJob> | undefined = hasTimer
      ? await this.queue.getJob(jobId)
      : undefined;
    if (existing && existing.data.dueAt === dueAt) return undefined;
    if (existing) {
      const state = await existing.getState();
      // A running timer finishes on its own and re-checks the records itself.
      if (state === 'active') return undefined;
      await existing.remove();
    }

    return this.newTimer(wish, leadMinutes, jobId, dueAt, existing !== undefined);
  }

  private newTimer(
    wish: ReminderWish,
    leadMinutes: number,
    jobId: string,
    dueAt: string,
    moved: boolean,
  ): NewTimer {
    const fireAt = Date.parse(dueAt) - leadMinutes * MINUTE_MS;
    const data: FireReminderJob = {
      locationId: wish.locationId,
      contactId: wish.contactId,
      ruleId: wish.ruleId,
      subject: wish.subject,
      dueAt,
      leadMinutes,
    };
    const opts = { jobId, delay: Math.max(0, fireAt - wish.now) };

    return { job: { name: JobName.FireReminder, data, opts }, moved, locationId: wish.locationId };
  }
}
