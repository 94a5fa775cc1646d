import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';

import { FireReminderJob, JobName, QueueName, ScanStaleLeadsJob } from '@sm/queues';

import { ReminderFiring } from './reminders/reminder-firing.service';
import { StaleLeadScan } from './stale-leads/stale-lead-scan.service';

/** The automation queue: reminder timers and the nightly stale-lead scan. */
@Processor(QueueName.Automation)
export class AutomationProcessor extends WorkerHost {
  constructor(
    private readonly reminders: ReminderFiring,
    private readonly staleLeads: StaleLeadScan,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.FireReminder:
        return this.reminders.fire(job.data as FireReminderJob, job.id);
      case JobName.ScanStaleLeads:
        return this.staleLeads.scan(job.data as ScanStaleLeadsJob);
      default:
        throw new UnrecoverableError(`no handler: ${job.name}`);
    }
  }
}
