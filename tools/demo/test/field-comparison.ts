/**
 * How a GHL record (as the sandbox's GET endpoints return it) must look in SolarMarket's
 * tables, field by field. Used by the end-to-end test to prove Postgres equals GHL.
 */

type Row = Record<string, unknown>;
// GHL records as the sandbox returns them, read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type GhlRecord = Record<string, any>;

const asTime = (value: unknown) =>
  value === null || value === undefined || value === ''
    ? null
    : new Date(value as string).getTime();
const orNull = (value: unknown) => (value === undefined || value === '' ? null : value);

export function expectedContactRow(contact: GhlRecord): Row {
  const customFields = Object.fromEntries(
    (contact.customFields ?? []).map((field: { id: string; value: unknown }) => [
      field.id,
      field.value,
    ]),
  );

  return {
    id: contact.id,
    first_name: orNull(contact.firstName),
    last_name: orNull(contact.lastName),
    email: orNull(contact.email),
    phone: orNull(contact.phone),
    company_name: orNull(contact.companyName),
    source: orNull(contact.source),
    assigned_to: orNull(contact.assignedTo),
    dnd: contact.dnd ?? false,
    tags: [...(contact.tags ?? [])].sort(),
    custom_fields: customFields,
    city: orNull(contact.city),
    country: orNull(contact.country),
    ghl_date_added: asTime(contact.dateAdded),
    deleted_at: null,
  };
}

export function actualContactRow(row: Row): Row {
  return {
    id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    phone: row.phone,
    company_name: row.company_name,
    source: row.source,
    assigned_to: row.assigned_to,
    dnd: row.dnd,
    tags: [...((row.tags as string[]) ?? [])].sort(),
    custom_fields: row.custom_fields,
    city: row.city,
    country: row.country,
    ghl_date_added: asTime(row.ghl_date_added),
    deleted_at: row.deleted_at,
  };
}

export function expectedTaskRow(task: GhlRecord): Row {
  return {
    id: task.id,
    contact_id: task.contactId,
    title: orNull(task.title),
    body: orNull(task.body),
    assigned_to: orNull(task.assignedTo),
    due_date: asTime(task.dueDate),
    completed: task.completed ?? false,
  };
}

export function actualTaskRow(row: Row): Row {
  return {
    id: row.id,
    contact_id: row.contact_id,
    title: row.title,
    body: row.body,
    assigned_to: row.assigned_to,
    due_date: asTime(row.due_date),
    completed: row.completed,
  };
}

export function expectedNoteRow(note: GhlRecord): Row {
  return {
    id: note.id,
    contact_id: note.contactId,
    body: orNull(note.body),
    user_id: orNull(note.userId),
    ghl_date_added: asTime(note.dateAdded),
  };
}

export function actualNoteRow(row: Row): Row {
  return {
    id: row.id,
    contact_id: row.contact_id,
    body: row.body,
    user_id: row.user_id,
    ghl_date_added: asTime(row.ghl_date_added),
  };
}

export function expectedAppointmentRow(appointment: GhlRecord): Row {
  return {
    id: appointment.id,
    contact_id: appointment.contactId,
    calendar_id: orNull(appointment.calendarId),
    title: orNull(appointment.title),
    status: orNull(appointment.appointmentStatus ?? appointment.status),
    assigned_user_id: orNull(appointment.assignedUserId),
    start_time: asTime(appointment.startTime),
    end_time: asTime(appointment.endTime),
  };
}

export function actualAppointmentRow(row: Row): Row {
  return {
    id: row.id,
    contact_id: row.contact_id,
    calendar_id: row.calendar_id,
    title: row.title,
    status: row.status,
    assigned_user_id: row.assigned_user_id,
    start_time: asTime(row.start_time),
    end_time: asTime(row.end_time),
  };
}

export function byId<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));
}
