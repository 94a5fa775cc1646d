import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { Contact, Task } from '@sm/entities';
import type { TaskCompletedJob } from '@sm/queues';

import {
  TASK_COMPLETED_KIND,
  taskCompletedEventKey,
  taskCompletedMessage,
} from '../messages/task-completed.message';

import { ChannelRouter } from '../channels/channel-router';

import { NotificationIntakeService } from './notification-intake.service';

/**
 * Tells the team of a task's assignee (or the location's team) that the task was completed, once
 * per task and channel.
 */
@Injectable()
export class TaskCompletedService {
  private readonly logger = new Logger(TaskCompletedService.name);

  constructor(
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly router: ChannelRouter,
    private readonly intake: NotificationIntakeService,
  ) {}

  async notify(event: TaskCompletedJob, jobId?: string): Promise<void> {
    const { locationId, contactId, taskId, completedAt } = event;
    const fields = { locationId, taskId, jobId };
    const task = await this.tasks.findOneBy({ locationId, id: taskId });
    if (!task) {
      // The sync worker writes the task before it emits the event, so this is a race with a
      // replica's commit or a task deleted since; the job's retries settle which.
      this.logger.warn(fields, 'completed task not in the records yet, will retry');
      throw new Error('The completed task is not in the records');
    }
    const contact = await this.contacts.findOneBy({ locationId, id: contactId });
    const team = this.router.teamOf(locationId, task.assignedTo);

    const result = await this.intake.submit({
      eventKey: taskCompletedEventKey(locationId, taskId, completedAt),
      recipient: { audience: 'team', locationId, team },
      kind: TASK_COMPLETED_KIND,
      message: taskCompletedMessage(task, contact, team),
    });

    if (result.outcome === 'unrouted') {
      this.logger.warn(fields, 'task notice not sent: no team channel for the location');

      return;
    }
    for (const delivery of result.deliveries) {
      this.logger.log({ ...fields, ...delivery }, 'task notice accepted');
    }
  }
}
