import type { Appointment, Contact, Task } from '@sm/entities';

import { displayName } from './contact-name';
import type { NotificationField, NotificationMessage } from './notification-message';

export const TEAM_NOTICE_KIND = 'team-notice';
export const REMINDER_KIND = 'reminder';

/** What a rule's notice or a reminder is about, as the records hold it when it is rendered. */
export interface ContactNoticeFacts {
  locationId: string;
  ruleId: string;
  contact: Contact | null;
  /** The task or appointment the notice is about, when it has one and it is in the records. */
  task: Task | null;
  appointment: Appointment | null;
}

/**
 * Renders one notice word into a message. A new kind of team notice is one entry in
 * NOTICE_RENDERERS; a notice word without an entry (an operator's own, from a rule file) gets
 * the generic rendering, so it is still sent.
 */
export type NoticeRenderer = (facts: ContactNoticeFacts) => NotificationMessage;

export const NOTICE_RENDERERS: Record<string, NoticeRenderer> = {
  'new-lead': (facts) =>
    noticeMessage(facts, `New lead: ${contactName(facts)} in location ${facts.locationId}`, [
      { label: 'Source', value: facts.contact?.source?.trim() || 'unknown' },
    ]),
  'no-show': (facts) =>
    noticeMessage(
      facts,
      `No-show: ${contactName(facts)} missed ${appointmentPhrase(facts.appointment)}`,
      [],
    ),
  'stale-lead': (facts) =>
    noticeMessage(facts, `Stale lead: nobody has touched ${contactName(facts)} lately`, [
      { label: 'Last change in GHL', value: when(facts.contact?.ghlDateUpdated ?? null) },
    ]),
};

export function teamNoticeMessage(notice: string, facts: ContactNoticeFacts): NotificationMessage {
  const renderer = NOTICE_RENDERERS[notice];
  const message = renderer
    ? renderer(facts)
    : noticeMessage(facts, `Notice (${notice}) about ${contactName(facts)}`, []);

  return { ...message, refs: { ...message.refs, notice } };
}

/** A reminder: the task's due date or the appointment's start, `leadMinutes` ahead of it. */
export function reminderMessage(
  facts: ContactNoticeFacts,
  due: { dueAt: string; leadMinutes: number },
): NotificationMessage {
  const dueAt = when(new Date(due.dueAt));
  const summary = facts.appointment
    ? `Reminder: ${appointmentPhrase(facts.appointment)} with ${contactName(facts)} at ${dueAt}`
    : `Reminder: ${taskPhrase(facts.task)} for ${contactName(facts)} is due ${dueAt}`;

  return noticeMessage(facts, summary, [
    { label: 'Due', value: dueAt },
    { label: 'Lead time', value: `${due.leadMinutes} minutes` },
  ]);
}

function noticeMessage(
  facts: ContactNoticeFacts,
  summary: string,
  extra: NotificationField[],
): NotificationMessage {
  const assignee = assigneeOf(facts);

  return {
    summary,
    fields: [
      { label: 'Contact', value: contactName(facts) },
      ...(facts.task ? [{ label: 'Task', value: taskTitle(facts.task) }] : []),
      ...(facts.appointment ? [{ label: 'Appointment', value: title(facts.appointment) }] : []),
      ...extra,
      { label: 'Assigned to', value: assignee ? `user ${assignee}` : 'nobody' },
      { label: 'Location', value: facts.locationId },
    ],
    refs: {
      locationId: facts.locationId,
      contactId: facts.contact?.id ?? null,
      ruleId: facts.ruleId,
      taskId: facts.task?.id ?? null,
      appointmentId: facts.appointment?.id ?? null,
    },
  };
}

/** Whose notice it is: the subject's assignee first, else the contact's owner. */
export function assigneeOf(facts: ContactNoticeFacts): string | null {
  return (
    facts.task?.assignedTo ?? facts.appointment?.assignedUserId ?? facts.contact?.assignedTo ?? null
  );
}

function contactName(facts: ContactNoticeFacts): string {
  return facts.contact ? displayName(facts.contact) : 'an unknown contact';
}

function taskTitle(task: Task): string {
  return task.title?.trim() || 'Untitled task';
}

function title(appointment: Appointment): string {
  return appointment.title?.trim() || 'an appointment';
}

function taskPhrase(task: Task | null): string {
  return task ? `"${taskTitle(task)}"` : 'a task';
}

function appointmentPhrase(appointment: Appointment | null): string {
  if (!appointment) return 'an appointment';
  const starts = appointment.startTime ? ` (${when(appointment.startTime)})` : '';

  return `"${title(appointment)}"${starts}`;
}

/** Times in messages are UTC, to the minute: a team spans time zones and the records do not. */
function when(date: Date | null): string {
  if (!date || Number.isNaN(date.getTime())) return 'unknown';

  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
