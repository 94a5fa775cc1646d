import { DataSource, IsNull } from 'typeorm';

import { Appointment, Contact, Note, Task } from '@sm/entities';

/** A record as the sandbox exports it: GHL's wire shape. */
export type GhlRecord = { id: string; contactId?: string; completed?: boolean } & Record<
  string,
  unknown
>;

export interface SandboxExport {
  location: { timezone: string };
  contacts: GhlRecord[];
  tasks: GhlRecord[];
  notes: GhlRecord[];
  appointments: GhlRecord[];
}

const iso = (value: Date | null) => value?.toISOString() ?? null;
const isoOf = (value: unknown) => (value ? new Date(value as string).toISOString() : null);
const orNull = (value: unknown) => (value === undefined || value === '' ? null : value);
export const byId = <T extends { id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => a.id.localeCompare(b.id));

export function contactFields(row: Contact) {
  return {
    id: row.id,
    firstName: row.firstName,
    lastName: row.lastName,
    name: row.name,
    email: row.email,
    phone: row.phone,
    companyName: row.companyName,
    source: row.source,
    type: row.type,
    assignedTo: row.assignedTo,
    timezone: row.timezone,
    dnd: row.dnd,
    tags: row.tags,
    customFields: row.customFields,
    address1: row.address1,
    city: row.city,
    state: row.state,
    country: row.country,
    postalCode: row.postalCode,
    website: row.website,
    dateOfBirth: row.dateOfBirth,
    businessId: row.businessId,
    dateAdded: iso(row.ghlDateAdded),
    dateUpdated: iso(row.ghlDateUpdated),
    deleted: row.deletedAt !== null,
  };
}

export function expectedContact(contact: GhlRecord) {
  return {
    id: contact.id,
    firstName: orNull(contact.firstName),
    lastName: orNull(contact.lastName),
    name: orNull(contact.name),
    email: orNull(contact.email),
    phone: orNull(contact.phone),
    companyName: orNull(contact.companyName),
    source: orNull(contact.source),
    type: orNull(contact.type),
    assignedTo: orNull(contact.assignedTo),
    timezone: orNull(contact.timezone),
    dnd: contact.dnd === true,
    tags: contact.tags ?? [],
    customFields: Object.fromEntries(
      ((contact.customFields ?? []) as { id: string; value: unknown }[]).map((f) => [
        f.id,
        f.value,
      ]),
    ),
    address1: orNull(contact.address1),
    city: orNull(contact.city),
    state: orNull(contact.state),
    country: orNull(contact.country),
    postalCode: orNull(contact.postalCode),
    website: orNull(contact.website),
    dateOfBirth: orNull(contact.dateOfBirth),
    businessId: orNull(contact.businessId),
    dateAdded: isoOf(contact.dateAdded),
    dateUpdated: isoOf(contact.dateUpdated),
    deleted: false,
  };
}

export const taskFields = (row: Task) => ({
  id: row.id,
  contactId: row.contactId,
  title: row.title,
  body: row.body,
  assignedTo: row.assignedTo,
  dueDate: iso(row.dueDate),
  completed: row.completed,
  deleted: row.deletedAt !== null,
});

export const expectedTask = (task: GhlRecord) => ({
  id: task.id,
  contactId: task.contactId,
  title: orNull(task.title),
  body: orNull(task.body),
  assignedTo: orNull(task.assignedTo),
  dueDate: isoOf(task.dueDate),
  completed: task.completed === true,
  deleted: false,
});

export const noteFields = (row: Note) => ({
  id: row.id,
  contactId: row.contactId,
  body: row.body,
  userId: row.userId,
  dateAdded: iso(row.ghlDateAdded),
  deleted: row.deletedAt !== null,
});

export const expectedNote = (note: GhlRecord) => ({
  id: note.id,
  contactId: note.contactId,
  body: orNull(note.body),
  userId: orNull(note.userId),
  dateAdded: isoOf(note.dateAdded),
  deleted: false,
});

export const appointmentFields = (row: Appointment) => ({
  id: row.id,
  contactId: row.contactId,
  calendarId: row.calendarId,
  title: row.title,
  status: row.status,
  assignedUserId: row.assignedUserId,
  address: row.address,
  notes: row.notes,
  startTime: iso(row.startTime),
  endTime: iso(row.endTime),
  dateUpdated: iso(row.ghlDateUpdated),
  deleted: row.deletedAt !== null,
});

export const expectedAppointment = (appointment: GhlRecord) => ({
  id: appointment.id,
  contactId: appointment.contactId,
  calendarId: orNull(appointment.calendarId),
  title: orNull(appointment.title),
  status: orNull(appointment.appointmentStatus) ?? orNull(appointment.status),
  assignedUserId: orNull(appointment.assignedUserId),
  address: orNull(appointment.address),
  notes: orNull(appointment.notes),
  startTime: isoOf(appointment.startTime),
  endTime: isoOf(appointment.endTime),
  dateUpdated: isoOf(appointment.dateUpdated),
  deleted: false,
});

/**
 * Postgres holds exactly the sandbox's live records of the location, field by field: every
 * contact, task, note and appointment GHL has, none it does not (tombstones aside).
 */
export async function expectRecordsEqualSandbox(
  dataSource: DataSource,
  locationId: string,
  ghl: SandboxExport,
): Promise<void> {
  const live = { locationId, deletedAt: IsNull() };
  const contacts = await dataSource.getRepository(Contact).findBy(live);
  expect(byId(contacts).map(contactFields)).toEqual(byId(ghl.contacts).map(expectedContact));
  const tasks = await dataSource.getRepository(Task).findBy(live);
  expect(byId(tasks).map(taskFields)).toEqual(byId(ghl.tasks).map(expectedTask));
  const notes = await dataSource.getRepository(Note).findBy(live);
  expect(byId(notes).map(noteFields)).toEqual(byId(ghl.notes).map(expectedNote));
  const appointments = await dataSource.getRepository(Appointment).findBy(live);
  expect(byId(appointments).map(appointmentFields)).toEqual(
    byId(ghl.appointments).map(expectedAppointment),
  );
}

/**
 * Waits until Postgres equals this export of the sandbox (work may still be queued), then
 * asserts it: the last comparison's failure is the test's.
 */
export async function eventuallyRecordsEqualSandbox(
  dataSource: DataSource,
  locationId: string,
  ghl: SandboxExport,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await expectRecordsEqualSandbox(dataSource, locationId, ghl);

      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
