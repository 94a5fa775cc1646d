/**
 * The sandbox's records, in the shapes GHL's API v2 answers with (vendor/ghl/openapi/apps).
 * Stored as served, so an export equals what the GET endpoints return.
 */

export interface CustomFieldValue {
  id: string;
  value: string;
}

export interface SandboxContact {
  id: string;
  locationId: string;
  contactName: string;
  name: string;
  firstName: string;
  lastName: string;
  firstNameLowerCase: string;
  lastNameLowerCase: string;
  fullNameLowerCase: string;
  email?: string;
  emailLowerCase?: string;
  phone?: string;
  timezone: string;
  companyName?: string;
  dnd: boolean;
  dndSettings?: Record<string, { status: 'active' | 'inactive' | 'permanent'; message?: string }>;
  type: string;
  source: string;
  assignedTo?: string;
  address1?: string;
  city?: string;
  state?: string;
  country: string;
  postalCode?: string;
  website?: string;
  tags: string[];
  dateOfBirth?: string;
  dateAdded: string;
  dateUpdated: string;
  customFields: CustomFieldValue[];
  businessId?: string;
  followers: string[];
  attributionSource?: { url: string; medium?: string; utmSource?: string; campaign?: string };
}

/** The fields of a contact its seeded children are made with. */
export type ChildOwner = Pick<
  SandboxContact,
  'id' | 'name' | 'address1' | 'city' | 'assignedTo' | 'dateAdded'
>;

export interface SandboxTask {
  id: string;
  title: string;
  body: string;
  assignedTo?: string;
  dueDate: string;
  completed: boolean;
  contactId: string;
  dateAdded: string;
}

export interface SandboxNote {
  id: string;
  body: string;
  userId: string;
  dateAdded: string;
  contactId: string;
}

export interface SandboxAppointment {
  id: string;
  calendarId: string;
  status: string;
  title: string;
  assignedUserId: string;
  notes: string;
  startTime: string;
  endTime: string;
  address: string;
  locationId: string;
  contactId: string;
  groupId: string;
  appointmentStatus: string;
  users: string[];
  source: string;
  dateAdded: string;
  dateUpdated: string;
}

export interface SandboxCustomFieldDefinition {
  id: string;
  name: string;
  fieldKey: string;
  placeholder: string;
  dataType: 'TEXT' | 'NUMERICAL' | 'MONETORY' | 'SINGLE_OPTIONS' | 'RADIO';
  position: number;
  picklistOptions?: string[];
  locationId: string;
  model: 'contact';
}

export interface SandboxUser {
  id: string;
  name: string;
  email: string;
}

export interface SandboxBusiness {
  id: string;
  name: string;
  locationId: string;
}

export interface SandboxLocation {
  id: string;
  companyId: string;
  name: string;
  address: string;
  city: string;
  state: string;
  country: string;
  postalCode: string;
  website: string;
  timezone: string;
  email: string;
  phone: string;
  settings: { allowDuplicateContact: boolean; allowDuplicateOpportunity: boolean };
  /** Not served by GHL's location schema; kept for the control API. */
  dateAdded: string;
}
