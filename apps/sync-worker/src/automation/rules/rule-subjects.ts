import type { Rule, RuleFacts } from '@sm/automation-rules';
import type { Appointment, Contact, Task } from '@sm/entities';

const HOUR_MS = 3_600_000;
/** A task completed or an appointment status seen longer ago than this is history, not news. */
export const RECENT_WINDOW_MS = 24 * HOUR_MS;
/** An appointment that started longer ago than this no longer triggers (a no-show is recent). */
export const APPOINTMENT_WINDOW_MS = 7 * 24 * HOUR_MS;

/** What a rule may act on: a contact, or one of its tasks or appointments. */
export interface RuleSubject {
  /** Unique per rule: the exactly-once key of its effects. */
  key: string;
  contactId: string;
  facts: RuleFacts;
  target: RuleTarget | null;
  /** A task's due date or an appointment's start: what reminders are set before. */
  dueAt: Date | null;
}

/** A task or appointment a rule acts on; a completed task's completion tells one from the next. */
export interface RuleTarget {
  kind: 'task' | 'appointment';
  id: string;
  completedAt?: Date;
}

/** One contact's records, as the sync engine last wrote them. */
export interface ContactRecords {
  contact: Contact;
  tasks: Task[];
  appointments: Appointment[];
}

/**
 * The subjects a rule's trigger holds for in the records right now. Triggers are read from the
 * records rather than from the webhook that caused the sync, so duplicate, late and reordered
 * events all lead to the same answer; the effect ledger makes each subject act once.
 */
export function triggeredSubjects(
  rule: Rule,
  records: ContactRecords,
  enabledAt: Date | null,
  now: number,
): RuleSubject[] {
  const { contact } = records;
  const since = (at: Date | null) =>
    at !== null && now - at.getTime() <= RECENT_WINDOW_MS && (!enabledAt || at >= enabledAt);
  const trigger = rule.trigger;

  switch (trigger.event) {
    case 'contact.created': {
      const addedAt = contact.ghlDateAdded;
      const windowMs = (trigger.withinHours ?? 24) * HOUR_MS;
      const isNew =
        addedAt !== null &&
        now - addedAt.getTime() <= windowMs &&
        (!enabledAt || addedAt >= enabledAt);

      return isNew ? [contactSubject(contact, `contact:${contact.id}`)] : [];
    }
    case 'task.completed':
      return records.tasks
        .filter((task) => task.completed && !task.deletedAt && since(task.completedAt))
        .map((task) => completedTaskSubject(contact, task));
    case 'task.open':
      return openTasks(records).map((task) => taskSubject(contact, task));
    case 'appointment.status':
      return records.appointments
        .filter((appointment) => isInStatus(appointment, trigger.statuses, now))
        .map((appointment) => appointmentSubject(contact, appointment));
    case 'contact.stale':
      // Found by the nightly scan only (see StaleLeadScan), never by a sync event.
      return [];
  }
}

export function openTasks(records: ContactRecords): Task[] {
  return records.tasks.filter((task) => !task.completed && !task.deletedAt && task.dueDate);
}

export function isInStatus(appointment: Appointment, statuses: string[], now: number): boolean {
  const status = appointment.status?.toLowerCase() ?? '';
  const isRecent =
    appointment.startTime !== null &&
    now - appointment.startTime.getTime() <= APPOINTMENT_WINDOW_MS;

  return !appointment.deletedAt && isRecent && statuses.some((s) => s.toLowerCase() === status);
}

export function contactSubject(contact: Contact, key: string): RuleSubject {
  return { key, contactId: contact.id, facts: { contact }, target: null, dueAt: null };
}

export function taskSubject(contact: Contact, task: Task): RuleSubject {
  return {
    key: `task:${task.id}`,
    contactId: contact.id,
    facts: { contact, task },
    target: { kind: 'task', id: task.id },
    dueAt: task.dueDate,
  };
}

/**
 * Per completion: a task completed again after a reopen is news again, once.
 *
 * TODO: effects recorded before completions were versioned have the bare `task:<id>` key, so a
 * task completed within RECENT_WINDOW_MS before the upgrade may be noticed once more after it.
 * Safe: one repeated notice per such task at most, and only in the first day after the upgrade.
 */
export function completedTaskSubject(contact: Contact, task: Task): RuleSubject {
  const completedAt = task.completedAt as Date;
  const subject = taskSubject(contact, task);

  return {
    ...subject,
    key: `${subject.key}:completed:${completedAt.getTime()}`,
    target: { kind: 'task', id: task.id, completedAt },
  };
}

export function appointmentSubject(contact: Contact, appointment: Appointment): RuleSubject {
  return {
    key: `appointment:${appointment.id}:${appointment.status?.toLowerCase() ?? ''}`,
    contactId: contact.id,
    facts: { contact, appointment },
    target: { kind: 'appointment', id: appointment.id },
    dueAt: appointment.startTime,
  };
}
