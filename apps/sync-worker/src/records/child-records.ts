import type { LocationApi } from '@sm/ghl-client';

import { appointmentRow, FetchContext, noteRow, RecordRow, taskRow } from './record-mappers';
import type { ChildKind } from './record-tables';

export type ChildRows = Record<ChildKind, RecordRow[]>;

export const CHILD_KINDS: ChildKind[] = ['tasks', 'notes', 'appointments'];

/** A contact's tasks, notes and appointments from GHL (three calls, made together). */
export async function fetchChildRows(
  api: LocationApi,
  contactId: string,
  context: FetchContext,
): Promise<ChildRows> {
  const [tasks, notes, appointments] = await Promise.all([
    api.listContactTasks(contactId),
    api.listContactNotes(contactId),
    api.listContactAppointments(contactId),
  ]);

  return {
    tasks: tasks.map((task) => taskRow(task, contactId, context)),
    notes: notes.map((note) => noteRow(note, contactId, context)),
    appointments: appointments.map((appointment) =>
      appointmentRow(appointment, contactId, context),
    ),
  };
}
