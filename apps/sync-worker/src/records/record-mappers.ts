import { CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

import type { GhlAppointment, GhlContact, GhlNote, GhlTask } from '@sm/ghl-client';

import { parseGhlTime } from './ghl-time';

/** A row as it goes to Postgres: column name → value (JSON for `jsonb` and `text[]` columns). */
export type RecordRow = Record<string, unknown>;

/** When and where a batch of GHL records was read: the fallback version, the zone of bare times. */
export interface FetchContext {
  locationId: string;
  fetchedAt: Date;
  timeZone: string;
  /** The location's custom field keys by field id, where known. */
  fieldKeys?: ReadonlyMap<string, string>;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** E.164 where the value parses as a valid number (the contact's country as the default). */
export function normalisePhone(phone: unknown, country?: unknown): string | null {
  const raw = text(phone);
  if (raw === null) return null;

  const upper = typeof country === 'string' ? country.toUpperCase() : '';
  const defaultCountry = isSupportedCountry(upper) ? (upper as CountryCode) : undefined;
  const parsed = parsePhoneNumberFromString(raw, defaultCountry);

  return parsed?.isValid() ? parsed.number : raw;
}

/** GHL's `[{ id, value }]` as `{ [fieldId]: value }`. */
export function customFieldsById(fields: unknown): Record<string, unknown> {
  if (!Array.isArray(fields)) return {};

  const byId: Record<string, unknown> = {};
  for (const field of fields as { id?: unknown; value?: unknown; field_value?: unknown }[]) {
    if (typeof field?.id !== 'string') continue;
    byId[field.id] = field.value ?? field.field_value ?? null;
  }

  return byId;
}

/** The same values as `{ [fieldKey]: value }`; ids without a known definition are left out. */
export function customFieldsByKey(
  byId: Record<string, unknown>,
  fieldKeys: ReadonlyMap<string, string> | undefined,
): Record<string, unknown> {
  const byKey: Record<string, unknown> = {};
  for (const [id, value] of Object.entries(byId)) {
    const key = fieldKeys?.get(id);
    if (key) byKey[key] = value;
  }

  return byKey;
}

export function contactRow(contact: GhlContact, context: FetchContext): RecordRow {
  const dateUpdated = parseGhlTime(contact.dateUpdated, context.timeZone);
  const customFields = customFieldsById(contact.customFields);
  const tags = Array.isArray(contact.tags)
    ? contact.tags.filter((tag) => typeof tag === 'string')
    : [];

  return {
    location_id: context.locationId,
    id: contact.id,
    first_name: text(contact.firstName),
    last_name: text(contact.lastName),
    name: text(contact.name),
    email: text(contact.email),
    phone: normalisePhone(contact.phone, contact.country),
    company_name: text(contact.companyName),
    source: text(contact.source),
    type: text(contact.type),
    assigned_to: text(contact.assignedTo),
    timezone: text(contact.timezone),
    dnd: contact.dnd === true,
    dnd_settings: contact.dndSettings || null,
    tags,
    custom_fields: customFields,
    custom_fields_by_key: customFieldsByKey(customFields, context.fieldKeys),
    address1: text(contact.address1),
    city: text(contact.city),
    state: text(contact.state),
    country: text(contact.country),
    postal_code: text(contact.postalCode),
    website: text(contact.website),
    date_of_birth: text(contact.dateOfBirth),
    business_id: text(contact.businessId),
    ghl_date_added: parseGhlTime(contact.dateAdded, context.timeZone),
    ghl_date_updated: dateUpdated,
    source_version_at: dateUpdated ?? context.fetchedAt,
    deleted_at: null,
    synced_at: context.fetchedAt,
  };
}

/** Tasks carry no dateUpdated in GHL: the fetch time is their version. */
export function taskRow(task: GhlTask, contactId: string, context: FetchContext): RecordRow {
  const completed = task.completed === true;

  return {
    location_id: context.locationId,
    id: task.id,
    contact_id: task.contactId ?? contactId,
    title: text(task.title),
    body: text(task.body),
    assigned_to: text(task.assignedTo),
    due_date: parseGhlTime(task.dueDate, context.timeZone),
    completed,
    completed_at: completed ? context.fetchedAt : null,
    source_version_at: context.fetchedAt,
    deleted_at: null,
    synced_at: context.fetchedAt,
  };
}

/** Notes carry only dateAdded, which an edit does not move: the fetch time is their version. */
export function noteRow(note: GhlNote, contactId: string, context: FetchContext): RecordRow {
  return {
    location_id: context.locationId,
    id: note.id,
    contact_id: note.contactId ?? contactId,
    body: text(note.body),
    user_id: text(note.userId),
    ghl_date_added: parseGhlTime(note.dateAdded, context.timeZone),
    source_version_at: context.fetchedAt,
    deleted_at: null,
    synced_at: context.fetchedAt,
  };
}

export function appointmentRow(
  appointment: GhlAppointment,
  contactId: string,
  context: FetchContext,
): RecordRow {
  const dateUpdated = parseGhlTime(appointment.dateUpdated, context.timeZone);

  return {
    location_id: context.locationId,
    id: appointment.id,
    contact_id: appointment.contactId ?? contactId,
    calendar_id: text(appointment.calendarId),
    title: text(appointment.title),
    status: text(appointment.appointmentStatus) ?? text(appointment.status),
    assigned_user_id: text(appointment.assignedUserId),
    address: text(appointment.address),
    notes: text(appointment.notes),
    start_time: parseGhlTime(appointment.startTime, context.timeZone),
    end_time: parseGhlTime(appointment.endTime, context.timeZone),
    ghl_date_updated: dateUpdated,
    source_version_at: dateUpdated ?? context.fetchedAt,
    deleted_at: null,
    synced_at: context.fetchedAt,
  };
}
