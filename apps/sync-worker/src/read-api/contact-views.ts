import type {
  Appointment,
  ContactHealthScore,
  ContactHealthScoreHistory,
  Note,
  Task,
} from '@sm/entities';

import type { TimelineEntry } from '../activity/activity-timeline.service';
import type {
  AppointmentDto,
  ContactDto,
  HealthScoreDto,
  NoteDto,
  TaskDto,
  TimelineEntryDto,
} from './dto/contact-views.dto';

/** A contacts row joined with its current score, as the list and detail queries read it. */
export interface ContactRow {
  location_id: string;
  id: string;
  name: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  phone_extension: string | null;
  source: string | null;
  assigned_to: string | null;
  dnd: boolean;
  tags: string[];
  custom_fields: Record<string, unknown>;
  source_version_at: Date;
  score: number | null;
  factors: ContactHealthScore['factors'] | null;
  score_trigger: string | null;
  score_computed_at: Date | null;
}

const iso = (value: Date | null | undefined) => (value ? value.toISOString() : null);

export function contactView(row: ContactRow): ContactDto {
  return {
    locationId: row.location_id,
    id: row.id,
    name: row.name,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    phone: row.phone,
    phoneExtension: row.phone_extension,
    source: row.source,
    assignedTo: row.assigned_to,
    dnd: row.dnd,
    tags: row.tags ?? [],
    customFields: row.custom_fields ?? {},
    updatedAt: row.source_version_at.toISOString(),
    healthScore:
      row.score === null
        ? null
        : {
            score: row.score,
            factors: row.factors ?? [],
            trigger: row.score_trigger ?? 'sync',
            computedAt: iso(row.score_computed_at) as string,
          },
  };
}

export function healthScoreView(score: ContactHealthScore | ContactHealthScoreHistory) {
  const view: HealthScoreDto = {
    score: score.score,
    factors: score.factors,
    trigger: score.trigger,
    computedAt: score.computedAt.toISOString(),
  };

  return view;
}

export const taskView = (task: Task): TaskDto => ({
  id: task.id,
  title: task.title,
  body: task.body,
  assignedTo: task.assignedTo,
  dueDate: iso(task.dueDate),
  completed: task.completed,
  completedAt: iso(task.completedAt),
});

export const noteView = (note: Note): NoteDto => ({
  id: note.id,
  body: note.body,
  userId: note.userId,
  dateAdded: iso(note.ghlDateAdded),
});

export const appointmentView = (appointment: Appointment): AppointmentDto => ({
  id: appointment.id,
  calendarId: appointment.calendarId,
  title: appointment.title,
  status: appointment.status,
  startTime: iso(appointment.startTime),
  endTime: iso(appointment.endTime),
});

export const timelineEntryView = (entry: TimelineEntry): TimelineEntryDto => ({
  id: entry.id,
  kind: entry.kind,
  recordType: entry.recordType,
  recordId: entry.recordId,
  occurredAt: entry.occurredAt.toISOString(),
  details: detailsView(entry.details),
});

/**
 * The details' times (a due date, a start, a move's from and to) as every other time of the API
 * writes them: Postgres' JSON wrote `…607+00:00` where `occurredAt` says `…607Z`. One it cannot
 * read as an instant (a year past 9999, or BC) is passed on as stored.
 */
const DETAIL_TIMES = new Set(['dueDate', 'startTime', 'from', 'to']);

function detailsView(details: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    view[key] = DETAIL_TIMES.has(key) && typeof value === 'string' ? isoInstant(value) : value;
  }

  return view;
}

function isoInstant(value: string): string {
  const time = Date.parse(value);

  return Number.isNaN(time) ? value : new Date(time).toISOString();
}
