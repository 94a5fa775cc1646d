import type { LocationApi } from '@sm/ghl-client';

import { appointmentRow, FetchContext, noteRow, RecordRow, taskRow } from './record-mappers';
import type { ChildKind } from './record-tables';

export type ChildRows = Record<ChildKind, RecordRow[]>;

export const CHILD_KINDS: ChildKind[] = ['tasks', 'notes', 'appointments'];

/**
 * A contact's tasks, notes and appointments from GHL (one call per kind, made together). Kinds
 * left out of `kinds` are not asked for and come back empty.
 */
export async function fetchChildRows(
  api: LocationApi,
  contactId: string,
  context: FetchContext,
  kinds: ChildKind[] = CHILD_KINDS,
): Promise<ChildRows> {
  const wants = (kind: ChildKind) => kinds.includes(kind);
  const [tasks, notes, appointments] = await Promise.all([
    wants('tasks') ? api.listContactTasks(contactId) : [],
    wants('notes') ? api.listContactNotes(contactId) : [],
    wants('appointments') ? api.listContactAppointments(contactId) : [],
  ]);

  return {
    tasks: tasks.map((task) => taskRow(task, contactId, context)),
    notes: notes.map((note) => noteRow(note, contactId, context)),
    appointments: appointments.map((appointment) =>
      appointmentRow(appointment, contactId, context),
    ),
  };
}
