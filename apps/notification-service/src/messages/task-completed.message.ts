import type { Contact, Task } from '@sm/entities';

import { displayName } from './contact-name';
import type { NotificationMessage } from './notification-message';

export const TASK_COMPLETED_KIND = 'task-completed';

/**
 * One notice per completion of a task (and channel), however often that completion is reported;
 * a task completed again after a reopen is another. A job added before jobs carried the
 * completion keeps the key it had then, so its replay is still recognised.
 */
export function taskCompletedEventKey(
  locationId: string,
  taskId: string,
  completedAt: string | undefined,
): string {
  const key = `${TASK_COMPLETED_KIND}:${locationId}:${taskId}`;

  return completedAt === undefined ? key : `${key}:${Date.parse(completedAt)}`;
}

/** The team notice for a completed task. The contact may not be synced yet. */
export function taskCompletedMessage(
  task: Task,
  contact: Contact | null,
  team: string | null = null,
): NotificationMessage {
  const title = task.title?.trim() || 'Untitled task';
  const contactName = contact ? displayName(contact) : 'an unknown contact';
  const assignee = task.assignedTo ? `user ${task.assignedTo}` : 'nobody';

  return {
    summary:
      `Task completed: "${title}" for ${contactName}, ` +
      `assigned to ${assignee}, in location ${task.locationId}`,
    fields: [
      { label: 'Task', value: title },
      { label: 'Contact', value: contactName },
      { label: 'Assigned to', value: assignee },
      { label: 'Location', value: task.locationId },
      ...(team ? [{ label: 'Team', value: team }] : []),
    ],
    refs: { locationId: task.locationId, contactId: task.contactId, taskId: task.id },
  };
}
