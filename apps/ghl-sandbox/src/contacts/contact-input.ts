import { LocationDataset } from '../dataset/location-dataset';
import { CustomFieldValue, SandboxContact } from '../dataset/records';

/** The writable fields of a contact (CreateContactDto / UpdateContactDto). */
export interface ContactInput {
  locationId?: string;
  firstName?: string | null;
  lastName?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  address1?: string | null;
  city?: string | null;
  state?: string | null;
  postalCode?: string;
  website?: string | null;
  timezone?: string | null;
  dnd?: boolean;
  dndSettings?: SandboxContact['dndSettings'];
  tags?: string[];
  customFields?: Array<{ id?: string; key?: string; field_value?: unknown; value?: unknown }>;
  source?: string;
  country?: string;
  companyName?: string | null;
  assignedTo?: string;
  dateOfBirth?: string;
  type?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TEXT_FIELDS = [
  'address1',
  'city',
  'state',
  'postalCode',
  'website',
  'timezone',
  'source',
  'country',
  'companyName',
  'assignedTo',
  'dateOfBirth',
  'type',
] as const;

/** The 422 messages GHL would give for this body (class-validator style sentences). */
export function contactInputProblems(input: ContactInput): string[] {
  const problems: string[] = [];
  if (input.email && !EMAIL.test(input.email)) problems.push('email must be an email');
  if (input.tags !== undefined && !isStringArray(input.tags)) {
    problems.push('each value in tags must be a string');
  }
  if (input.customFields !== undefined && !Array.isArray(input.customFields)) {
    problems.push('customFields must be an array');
  }
  if (input.dnd !== undefined && typeof input.dnd !== 'boolean') {
    problems.push('dnd must be a boolean value');
  }

  return problems;
}

/** Applies a create or update body to a contact, keeping GHL's derived lower-case fields. */
export function applyContactInput(
  dataset: LocationDataset,
  contact: SandboxContact,
  input: ContactInput,
): void {
  const isNameGiven = typeof input.name === 'string' && !input.firstName && !input.lastName;
  if (isNameGiven) {
    const [first, ...rest] = (input.name as string).trim().split(/\s+/);
    contact.firstName = first ?? '';
    contact.lastName = rest.join(' ');
  }
  if (input.firstName !== undefined) contact.firstName = input.firstName ?? '';
  if (input.lastName !== undefined) contact.lastName = input.lastName ?? '';
  if (input.email !== undefined) {
    contact.email = input.email ?? undefined;
    contact.emailLowerCase = input.email?.toLowerCase();
  }
  if (input.phone !== undefined) contact.phone = input.phone ?? undefined;
  for (const field of TEXT_FIELDS) {
    if (input[field] !== undefined) {
      (contact as unknown as Record<string, unknown>)[field] = input[field] ?? undefined;
    }
  }
  if (input.dnd !== undefined) contact.dnd = input.dnd;
  if (input.dndSettings !== undefined) contact.dndSettings = input.dndSettings;
  if (input.tags !== undefined) contact.tags = unique(input.tags);
  if (input.customFields !== undefined) {
    contact.customFields = mergeCustomFields(dataset, contact.customFields, input.customFields);
  }
  refreshNames(contact);
}

export function refreshNames(contact: SandboxContact): void {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  contact.name = name;
  contact.contactName = name.toLowerCase();
  contact.firstNameLowerCase = contact.firstName.toLowerCase();
  contact.lastNameLowerCase = contact.lastName.toLowerCase();
  contact.fullNameLowerCase = name.toLowerCase();
}

function mergeCustomFields(
  dataset: LocationDataset,
  current: CustomFieldValue[],
  changes: NonNullable<ContactInput['customFields']>,
): CustomFieldValue[] {
  const merged = new Map(current.map((field) => [field.id, field.value]));
  for (const change of changes) {
    const definition = dataset.customFields.find(
      (field) => field.id === change.id || field.fieldKey === change.key,
    );
    if (!definition) continue;
    const value = change.field_value ?? change.value;
    if (value === null || value === undefined || value === '') merged.delete(definition.id);
    else merged.set(definition.id, Array.isArray(value) ? value.join(', ') : String(value));
  }

  return dataset.customFields
    .filter((field) => merged.has(field.id))
    .map((field) => ({ id: field.id, value: merged.get(field.id) as string }));
}

export function unique(values: string[]): string[] {
  return [...new Set(values.map((value) => value.trim()).filter(Boolean))];
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
