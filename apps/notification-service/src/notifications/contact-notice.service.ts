import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';

import { Appointment, Contact, Task } from '@sm/entities';
import type { ReminderDueJob, TeamNoticeJob, TeamNoticesJob } from '@sm/queues';

import { ChannelRouter } from '../channels/channel-router';
import {
  assigneeOf,
  ContactNoticeFacts,
  REMINDER_KIND,
  reminderMessage,
  TEAM_NOTICE_KIND,
  teamNoticeMessage,
} from '../messages/contact-notice.message';
import type { NotificationMessage } from '../messages/notification-message';

import { NotificationIntakeService } from './notification-intake.service';

type Subject = TeamNoticeJob['subject'];

/**
 * Rule-driven team notices and reminders (both from the sync worker's automation). Each goes to
 * the team of whoever the notice concerns, once per producer dedupe key and channel.
 */
@Injectable()
export class ContactNoticeService {
  private readonly logger = new Logger(ContactNoticeService.name);

  constructor(
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    @InjectRepository(Appointment) private readonly appointments: Repository<Appointment>,
    private readonly router: ChannelRouter,
    private readonly intake: NotificationIntakeService,
  ) {}

  async notice(job: TeamNoticeJob, jobId?: string): Promise<void> {
    const facts = await this.factsOf(job.locationId, job.contactId, job.ruleId, job.subject);

    await this.submit(TEAM_NOTICE_KIND, job, facts, teamNoticeMessage(job.notice, facts), jobId);
  }

  /**
   * The notices of one job, one after the other. A failure retries the job: the notices taken
   * in before are found by their dedupe keys and not sent again.
   */
  async notices(job: TeamNoticesJob, jobId?: string): Promise<void> {
    for (const notice of job.notices) await this.notice(notice, jobId);
  }

  async reminder(job: ReminderDueJob, jobId?: string): Promise<void> {
    const facts = await this.factsOf(job.locationId, job.contactId, job.ruleId, job.subject);
    // The sync worker checked before it sent this; the records may have moved on since.
    const isNoLongerDue =
      facts.task?.completed === true || facts.appointment?.status?.toLowerCase() === 'cancelled';
    if (isNoLongerDue) {
      this.logger.log({ locationId: job.locationId, jobId }, 'reminder dropped: no longer due');

      return;
    }

    await this.submit(REMINDER_KIND, job, facts, reminderMessage(facts, job), jobId);
  }

  private async submit(
    kind: string,
    job: TeamNoticeJob | ReminderDueJob,
    facts: ContactNoticeFacts,
    message: NotificationMessage,
    jobId?: string,
  ): Promise<void> {
    const { locationId } = job;
    const team = this.router.teamOf(locationId, assigneeOf(facts));
    const fields = { locationId, contactId: job.contactId, kind, jobId };

    const result = await this.intake.submit({
      eventKey: `notice:${job.dedupeKey}`,
      recipient: { audience: 'team', locationId, team },
      kind,
      message,
    });

    if (result.outcome === 'unrouted') {
      this.logger.warn(fields, 'notice not sent: no team channel for the location');

      return;
    }
    for (const delivery of result.deliveries) {
      this.logger.log({ ...fields, ...delivery }, 'notice accepted');
    }
  }

  /** A contact or subject not in the records yet is rendered as unknown: the notice still goes. */
  private async factsOf(
    locationId: string,
    contactId: string,
    ruleId: string,
    subject: Subject,
  ): Promise<ContactNoticeFacts> {
    const live = { locationId, deletedAt: IsNull() };
    const [contact, task, appointment] = await Promise.all([
      this.contacts.findOneBy({ locationId, id: contactId }),
      subject?.kind === 'task' ? this.tasks.findOneBy({ ...live, id: subject.id }) : null,
      subject?.kind === 'appointment'
        ? this.appointments.findOneBy({ ...live, id: subject.id })
        : null,
    ]);

    return { locationId, ruleId, contact, task, appointment };
  }
}
