import { SandboxAppointment, SandboxContact, SandboxNote, SandboxTask } from '../dataset/records';

/** The bodies GHL sends per event type, shaped as vendor/ghl/webhooks. */

export type ContactEventType =
  'ContactCreate' | 'ContactUpdate' | 'ContactDelete' | 'ContactTagUpdate';
export type TaskEventType = 'TaskCreate' | 'TaskComplete' | 'TaskDelete';
export type NoteEventType = 'NoteCreate' | 'NoteUpdate' | 'NoteDelete';
export type AppointmentEventType = 'AppointmentCreate' | 'AppointmentUpdate' | 'AppointmentDelete';

export function contactEvent(type: ContactEventType, contact: SandboxContact) {
  return {
    type,
    locationId: contact.locationId,
    id: contact.id,
    address1: contact.address1,
    city: contact.city,
    state: contact.state,
    companyName: contact.companyName,
    country: contact.country,
    source: contact.source,
    dateAdded: contact.dateAdded,
    dateOfBirth: contact.dateOfBirth,
    dnd: contact.dnd,
    email: contact.email,
    name: contact.name,
    firstName: contact.firstName,
    lastName: contact.lastName,
    phone: contact.phone,
    postalCode: contact.postalCode,
    tags: contact.tags,
    website: contact.website,
    attachments: [],
    assignedTo: contact.assignedTo,
    customFields: contact.customFields,
  };
}

export function taskEvent(type: TaskEventType, locationId: string, task: SandboxTask) {
  return {
    type,
    locationId,
    id: task.id,
    assignedTo: task.assignedTo,
    body: task.body,
    contactId: task.contactId,
    title: task.title,
    dateAdded: task.dateAdded,
    dueDate: task.dueDate,
  };
}

export function noteEvent(type: NoteEventType, locationId: string, note: SandboxNote) {
  return {
    type,
    locationId,
    id: note.id,
    body: note.body,
    contactId: note.contactId,
    dateAdded: note.dateAdded,
  };
}

export function appointmentEvent(type: AppointmentEventType, appointment: SandboxAppointment) {
  return {
    type,
    locationId: appointment.locationId,
    appointment: {
      id: appointment.id,
      address: appointment.address,
      title: appointment.title,
      calendarId: appointment.calendarId,
      contactId: appointment.contactId,
      groupId: appointment.groupId,
      appointmentStatus: appointment.appointmentStatus,
      assignedUserId: appointment.assignedUserId,
      users: appointment.users,
      notes: appointment.notes,
      source: appointment.source,
      startTime: appointment.startTime,
      endTime: appointment.endTime,
      dateAdded: appointment.dateAdded,
      dateUpdated: appointment.dateUpdated,
    },
  };
}
