import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

import {
  AdminAlertJob,
  JobName,
  QueueName,
  ReminderDueJob,
  TaskCompletedJob,
  TeamNoticeJob,
  TeamNoticesJob,
} from '@sm/queues';

import { AdminAlertService } from './admin-alert.service';
import { ContactNoticeService } from './contact-notice.service';
import { TaskCompletedService } from './task-completed.service';

const id = z.string().min(1).max(64);

const taskCompletedJob = z.object({
  locationId: id,
  contactId: id,
  taskId: id,
  /** Absent from jobs added before completions were versioned. */
  completedAt: z.iso.datetime().optional(),
});

const adminAlertJob = z.object({
  kind: z.enum([
    'connection-reauth-required',
    'connection-token-unreadable',
    'job-parked',
    'notification-failed',
    'ghl-budget-exhausted',
  ]),
  locationId: id.nullable(),
  dedupeKey: z.string().min(1).max(1_000),
  summary: z.string().min(1).max(2_000),
  /** The shape of a key id of the auth service's key ring: an id has no room for a key. */
  keyId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .optional(),
});

const subject = z.object({ kind: z.enum(['task', 'appointment']), id });

const producerKey = z.string().min(1).max(1_000);

const teamNoticeJob = z.object({
  locationId: id,
  contactId: id,
  ruleId: z.string().min(1).max(200),
  notice: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  subject: subject.nullable(),
  dedupeKey: producerKey,
});

/** As many as the sync worker puts in one job, with room to spare. */
const teamNoticesJob = z.object({ notices: z.array(teamNoticeJob).min(1).max(1_000) });

const reminderDueJob = z.object({
  locationId: id,
  contactId: id,
  ruleId: z.string().min(1).max(200),
  subject,
  dueAt: z.iso.datetime({ offset: true }),
  leadMinutes: z.number().int().nonnegative(),
  dedupeKey: producerKey,
});

/**
 * The `notifications` queue: events other services emit. A payload that does not match its
 * contract is a bug in the producer, not a passing fault, so it fails at once.
 */
@Processor(QueueName.Notifications, { concurrency: 8 })
export class NotificationsProcessor extends WorkerHost {
  constructor(
    private readonly taskCompleted: TaskCompletedService,
    private readonly adminAlerts: AdminAlertService,
    private readonly contactNotices: ContactNoticeService,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    switch (job.name) {
      case JobName.TaskCompleted:
        return this.taskCompleted.notify(parse(taskCompletedJob, job) as TaskCompletedJob, job.id);
      case JobName.AdminAlert:
        return this.adminAlerts.raise(parse(adminAlertJob, job) as AdminAlertJob, job.id);
      case JobName.TeamNotice:
        return this.contactNotices.notice(parse(teamNoticeJob, job) as TeamNoticeJob, job.id);
      case JobName.TeamNotices:
        return this.contactNotices.notices(parse(teamNoticesJob, job) as TeamNoticesJob, job.id);
      case JobName.ReminderDue:
        return this.contactNotices.reminder(parse(reminderDueJob, job) as ReminderDueJob, job.id);
      default:
        throw new UnrecoverableError(`No handler for job ${job.name}`);
    }
  }
}

function parse<Schema extends z.ZodType>(schema: Schema, job: Job): z.infer<Schema> {
  const result = schema.safeParse(job.data);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new UnrecoverableError(`Job ${job.name} has an invalid payload: ${fields}`);
  }

  return result.data;
}
