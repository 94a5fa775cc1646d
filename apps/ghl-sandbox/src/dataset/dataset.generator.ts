import { createHash } from 'node:crypto';

import { SandboxLocationSpec } from '../config/sandbox.config';
import { ContactChildren, LazyChildren, LocationDataset } from './location-dataset';
import { BUSINESS_NAMES, USER_NAMES } from './pools';
import { hashString, ID_ALPHABET, Prng } from './prng';
import { FactoryContext, RecordFactory } from './record-factory';
import { SandboxContact, SandboxCustomFieldDefinition, SandboxLocation } from './records';

// Local copies: a global lookup per call is slow where the code runs in a vm context (jest).
const { floor, imul, min } = Math;

/** Seeded records are dated in the two years before this instant, never relative to now. */
export const DATASET_EPOCH_MS = Date.UTC(2025, 11, 1);
const TWO_YEARS_MS = 730 * 86_400_000;
const DAY_MS = 86_400_000;

export const LOCATION_TIMEZONE = 'America/Denver';

/** The seed of one location's stream: independent of how many other locations there are. */
export function locationSeed(seed: number, locationId: string): number {
  return (imul(seed >>> 0, 0x9e3779b1) ^ hashString(locationId)) >>> 0;
}

export function generateLocation(
  seed: number,
  spec: SandboxLocationSpec,
  companyId: string,
  index: number,
): LocationDataset {
  const prng = new Prng(locationSeed(seed, spec.locationId));
  const location = locationRecord(spec.locationId, companyId, index);
  const customFields = customFieldDefinitions(prng, spec.locationId);
  const users = USER_NAMES.map((name) => ({
    id: prng.id(),
    name,
    email: `${name.split(' ')[0].toLowerCase()}@sunpeak-solar.example.com`,
  }));
  const businesses = BUSINESS_NAMES.map((name) => ({
    id: prng.id(),
    name,
    locationId: spec.locationId,
  }));
  const calendarId = prng.id();
  const dataset = new LocationDataset(location, customFields, users, businesses, calendarId);
  const factoryContext: FactoryContext = {
    locationId: spec.locationId,
    timezone: LOCATION_TIMEZONE,
    users,
    businesses,
    customFields,
    calendarId,
  };
  const factory = new RecordFactory(prng, factoryContext);

  const seeded: Array<{ contact: SandboxContact; lazy: LazyChildren }> = [];
  for (let count = 0; count < spec.contacts; count++) {
    const addedMs = DATASET_EPOCH_MS - TWO_YEARS_MS + floor(prng.next() * TWO_YEARS_MS);
    const updatedMs = min(DATASET_EPOCH_MS - 1, addedMs + prng.int(0, 90) * DAY_MS);
    const contact = factory.contact(addedMs, updatedMs);
    const { id, name, address1, city, assignedTo, dateAdded } = contact;
    const lazy = {
      seed: floor(prng.next() * 4294967296),
      tasks: prng.int(0, 4),
      notes: prng.int(0, 3),
      appointments: prng.int(0, 2),
      seededAs: { id, name, address1, city, assignedTo, dateAdded },
    };
    seeded.push({ contact, lazy });
  }
  seeded.sort((a, b) => compareSeeded(a.contact, b.contact));
  dataset.loadSorted(seeded, (lazy) => childrenFromSeed(factoryContext, lazy));

  return dataset;
}

function compareSeeded(a: SandboxContact, b: SandboxContact): number {
  if (a.dateAdded !== b.dateAdded) return a.dateAdded < b.dateAdded ? -1 : 1;

  return a.id < b.id ? -1 : 1;
}

/** A seeded contact's children, the same every time they are generated. */
function childrenFromSeed(context: FactoryContext, lazy: LazyChildren): ContactChildren {
  const contact = lazy.seededAs;
  const prng = new Prng(lazy.seed);
  const factory = new RecordFactory(prng, context);
  const addedMs = Date.parse(contact.dateAdded);
  const later = () => min(DATASET_EPOCH_MS - 1, addedMs + prng.int(0, 60) * DAY_MS);

  return {
    tasks: Array.from({ length: lazy.tasks }, (_, index) => ({
      ...factory.task(contact, later()),
      id: childId(contact.id, 'task', index),
    })),
    notes: Array.from({ length: lazy.notes }, (_, index) => ({
      ...factory.note(contact, later()),
      id: childId(contact.id, 'note', index),
    })),
    appointments: Array.from({ length: lazy.appointments }, (_, index) => ({
      ...factory.appointment(contact, later()),
      id: childId(contact.id, 'appointment', index),
    })),
  };
}

/**
 * A seeded child's id, from its contact's id, kind and position: unique as GHL's are. Drawn from
 * the contact's own stream instead, two contacts could get the same id, because the streams of
 * different 32-bit seeds overlap.
 */
function childId(contactId: string, kind: string, index: number): string {
  const digest = createHash('sha256').update(`${contactId}/${kind}/${index}`).digest();
  let id = '';
  for (let position = 0; position < 20; position++) id += ID_ALPHABET[digest[position] % 62];

  return id;
}

function locationRecord(locationId: string, companyId: string, index: number): SandboxLocation {
  const suffix = index === 0 ? '' : ` ${index + 1}`;

  return {
    id: locationId,
    companyId,
    name: `SunPeak Solar Denver${suffix}`,
    address: '1550 Wewatta St',
    city: 'Denver',
    state: 'CO',
    country: 'US',
    postalCode: '80202',
    website: 'https://sunpeak-solar.example.com',
    timezone: LOCATION_TIMEZONE,
    email: 'sales@sunpeak-solar.example.com',
    phone: '+13035550100',
    settings: { allowDuplicateContact: false, allowDuplicateOpportunity: true },
    dateAdded: new Date(DATASET_EPOCH_MS - TWO_YEARS_MS).toISOString(),
  };
}

function customFieldDefinitions(prng: Prng, locationId: string): SandboxCustomFieldDefinition[] {
  const definitions: Array<Omit<SandboxCustomFieldDefinition, 'id' | 'locationId' | 'model'>> = [
    {
      name: 'Monthly electric bill',
      fieldKey: 'contact.monthly_electric_bill',
      placeholder: 'USD per month',
      dataType: 'MONETORY',
      position: 0,
    },
    {
      name: 'Roof type',
      fieldKey: 'contact.roof_type',
      placeholder: 'Roof type',
      dataType: 'SINGLE_OPTIONS',
      position: 50,
      picklistOptions: ['Asphalt shingle', 'Metal', 'Clay tile', 'Concrete tile', 'Flat / TPO'],
    },
    {
      name: 'System size (kW)',
      fieldKey: 'contact.system_size_kw',
      placeholder: 'kW',
      dataType: 'NUMERICAL',
      position: 100,
    },
    {
      name: 'Utility provider',
      fieldKey: 'contact.utility_provider',
      placeholder: 'Utility',
      dataType: 'SINGLE_OPTIONS',
      position: 150,
      picklistOptions: ['Xcel Energy', 'Black Hills Energy', 'Rocky Mountain Power', 'PNM'],
    },
    {
      name: 'Financing preference',
      fieldKey: 'contact.financing_preference',
      placeholder: 'Financing',
      dataType: 'RADIO',
      position: 200,
      picklistOptions: ['Cash', 'Solar loan', 'Lease', 'PPA'],
    },
    {
      name: 'Roof age (years)',
      fieldKey: 'contact.roof_age_years',
      placeholder: 'Years',
      dataType: 'NUMERICAL',
      position: 250,
    },
  ];

  return definitions.map((definition) => ({
    id: prng.id(),
    ...definition,
    locationId,
    model: 'contact',
  }));
}
