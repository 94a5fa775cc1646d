import {
  APPOINTMENT_STATUSES,
  APPOINTMENT_TITLES,
  CITIES,
  EMAIL_DOMAINS,
  FINANCING,
  FIRST_NAMES,
  LAST_NAMES,
  NOTE_BODIES,
  ROOF_TYPES,
  SOURCES,
  STREETS,
  TAGS,
  TASK_BODIES,
  TASK_TITLES,
  UTILITIES,
} from './pools';
import { Prng } from './prng';
import {
  ChildOwner,
  CustomFieldValue,
  SandboxAppointment,
  SandboxBusiness,
  SandboxContact,
  SandboxCustomFieldDefinition,
  SandboxNote,
  SandboxTask,
  SandboxUser,
} from './records';

// Local copies: a global lookup per call is slow where the code runs in a vm context (jest).
const { floor } = Math;

const DAY_MS = 86_400_000;

export interface FactoryContext {
  locationId: string;
  timezone: string;
  users: SandboxUser[];
  businesses: SandboxBusiness[];
  customFields: SandboxCustomFieldDefinition[];
  calendarId: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Makes realistic records from a PRNG; the seeded dataset and live changes both use it. */
export class RecordFactory {
  constructor(
    private readonly prng: Prng,
    private readonly context: FactoryContext,
  ) {}

  contact(addedMs: number, updatedMs: number): SandboxContact {
    const { prng, context } = this;
    const firstName = prng.pick(FIRST_NAMES);
    const lastName = prng.pick(LAST_NAMES);
    const name = `${firstName} ${lastName}`;
    const place = prng.pick(CITIES);
    const id = prng.id();
    const hasEmail = prng.chance(0.92);
    const email = hasEmail
      ? `${firstName}.${lastName}${prng.int(1, 999)}@${prng.pick(EMAIL_DOMAINS)}`
      : undefined;
    const isDnd = prng.chance(0.05);
    const business = prng.chance(0.1) ? prng.pick(context.businesses) : undefined;
    const source = prng.pick(SOURCES);
    // Absent fields stay as undefined keys: JSON leaves them out, as GHL does, and every
    // contact keeps one object shape (far less memory at 100,000 contacts).
    const contact: SandboxContact = {
      id,
      locationId: context.locationId,
      contactName: name.toLowerCase(),
      name,
      firstName,
      lastName,
      firstNameLowerCase: firstName.toLowerCase(),
      lastNameLowerCase: lastName.toLowerCase(),
      fullNameLowerCase: name.toLowerCase(),
      email,
      emailLowerCase: email?.toLowerCase(),
      phone: prng.chance(0.95) ? `+1${place.area}555${prng.digits(4)}` : undefined,
      timezone: context.timezone,
      companyName: business?.name,
      dnd: isDnd,
      dndSettings: isDnd
        ? { SMS: { status: 'active', message: 'Asked not to be texted' } }
        : undefined,
      type: prng.chance(0.15) ? 'customer' : 'lead',
      source,
      assignedTo: prng.chance(0.85) ? prng.pick(context.users).id : undefined,
      address1: `${prng.int(100, 9999)} ${prng.pick(STREETS)}`,
      city: place.city,
      state: place.state,
      country: 'US',
      postalCode: `${place.zip}${prng.digits(2)}`,
      website: business && prng.chance(0.5) ? 'https://example.com/' : undefined,
      tags: this.tags(),
      dateOfBirth: prng.chance(0.3)
        ? `${prng.int(1950, 1995)}-0${prng.int(1, 9)}-1${prng.int(0, 9)}T00:00:00.000Z`
        : undefined,
      dateAdded: iso(addedMs),
      dateUpdated: iso(updatedMs),
      customFields: this.customFieldValues(),
      businessId: business?.id,
      followers: [],
      attributionSource:
        source === 'website quote form'
          ? { url: 'https://solar.example.com/quote', medium: 'form', utmSource: 'organic' }
          : undefined,
    };

    return contact;
  }

  tags(): string[] {
    const tags = this.prng.chance(0.8) ? ['solar-lead'] : [];

    return [...tags, ...this.prng.some(TAGS.slice(1), this.prng.int(0, 3))];
  }

  private customFieldValues(): CustomFieldValue[] {
    const { prng } = this;
    const byKey = new Map(this.context.customFields.map((field) => [field.fieldKey, field.id]));
    const values: Array<[string, string]> = [
      ['contact.monthly_electric_bill', String(prng.int(60, 480))],
      ['contact.roof_type', prng.pick(ROOF_TYPES)],
      ['contact.system_size_kw', (prng.int(30, 150) / 10).toFixed(1)],
      ['contact.utility_provider', prng.pick(UTILITIES)],
      ['contact.financing_preference', prng.pick(FINANCING)],
      ['contact.roof_age_years', String(prng.int(1, 35))],
    ];

    return values
      .filter(() => prng.chance(0.75))
      .map(([key, value]) => ({ id: byKey.get(key) as string, value }));
  }

  task(contact: ChildOwner, addedMs: number): SandboxTask {
    const { prng } = this;

    return {
      id: prng.id(),
      title: prng.pick(TASK_TITLES),
      body: prng.pick(TASK_BODIES),
      assignedTo: contact.assignedTo ?? prng.pick(this.context.users).id,
      dueDate: iso(addedMs + prng.int(1, 21) * DAY_MS),
      completed: prng.chance(0.35),
      contactId: contact.id,
      dateAdded: iso(addedMs),
    };
  }

  note(contact: ChildOwner, addedMs: number): SandboxNote {
    return {
      id: this.prng.id(),
      body: this.prng.pick(NOTE_BODIES),
      userId: contact.assignedTo ?? this.prng.pick(this.context.users).id,
      dateAdded: iso(addedMs),
      contactId: contact.id,
    };
  }

  appointment(contact: ChildOwner, addedMs: number): SandboxAppointment {
    const { prng, context } = this;
    // Appointments start on the hour, Denver business hours (UTC-7 in winter).
    const day = floor(addedMs / DAY_MS) + prng.int(1, 14);
    const startMs = day * DAY_MS + prng.int(16, 23) * 3_600_000;
    const userId = contact.assignedTo ?? prng.pick(context.users).id;
    const appointmentStatus = prng.pick(APPOINTMENT_STATUSES);

    return {
      id: prng.id(),
      calendarId: context.calendarId,
      status: appointmentStatus === 'cancelled' ? 'cancelled' : 'booked',
      title: `${prng.pick(APPOINTMENT_TITLES)} with ${contact.name}`,
      assignedUserId: userId,
      notes: prng.pick(NOTE_BODIES),
      startTime: iso(startMs),
      endTime: iso(startMs + 3_600_000),
      address: contact.address1 ? `${contact.address1}, ${contact.city}` : 'Phone call',
      locationId: context.locationId,
      contactId: contact.id,
      groupId: context.calendarId,
      appointmentStatus,
      users: [userId],
      source: prng.chance(0.5) ? 'booking_widget' : 'third_party',
      dateAdded: iso(addedMs),
      dateUpdated: iso(addedMs),
    };
  }
}
