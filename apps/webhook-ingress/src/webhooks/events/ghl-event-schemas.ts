import { z } from 'zod';

import { MAX_GHL_ID_LENGTH } from '@sm/entities';

/**
 * The shape of each GHL webhook, written from the examples in `vendor/ghl/webhooks`. They are
 * lenient on purpose: only the fields routing needs are required, every documented field is
 * optional (GHL's examples and real traffic both leave fields out, or send null), and unknown
 * fields pass through. A documented field of another type is reported as a deviation, never a
 * refusal: the sync worker fetches the record from GHL anyway.
 */

/** GHL ids (locations, contacts, companies) fit the inbox's 64-character columns. */
export const ghlId = z.string().min(1).max(MAX_GHL_ID_LENGTH);

const text = z.string().nullish();
const flag = z.boolean().nullish();
const texts = z.array(z.string()).nullish();

/** Marketplace deliveries carry these; the per-event examples do not. */
const envelope = {
  type: z.string(),
  timestamp: z.union([z.string(), z.number()]).nullish(),
  webhookId: z.string().nullish(),
};

const locationEvent = { ...envelope, locationId: ghlId };

export const contactEventSchema = z.looseObject({
  ...locationEvent,
  id: text,
  address1: text,
  city: text,
  state: text,
  companyName: text,
  country: text,
  source: text,
  dateAdded: text,
  dateOfBirth: text,
  dnd: flag,
  dndSettings: z.record(z.string(), z.looseObject({ status: text, message: text })).nullish(),
  email: text,
  name: text,
  firstName: text,
  lastName: text,
  phone: text,
  postalCode: text,
  tags: texts,
  website: text,
  attachments: z.array(z.unknown()).nullish(),
  assignedTo: text,
  customFields: z.array(z.looseObject({ id: text, value: z.unknown() })).nullish(),
});

export const taskEventSchema = z.looseObject({
  ...locationEvent,
  id: text,
  assignedTo: text,
  body: text,
  contactId: text,
  title: text,
  dateAdded: text,
  dueDate: text,
});

export const noteEventSchema = z.looseObject({
  ...locationEvent,
  id: text,
  body: text,
  contactId: text,
  dateAdded: text,
});

export const appointmentEventSchema = z.looseObject({
  ...locationEvent,
  appointment: z
    .looseObject({
      id: text,
      address: text,
      title: text,
      calendarId: text,
      contactId: text,
      groupId: text,
      appointmentStatus: text,
      assignedUserId: text,
      users: texts,
      notes: text,
      source: text,
      startTime: text,
      endTime: text,
      dateAdded: text,
      dateUpdated: text,
    })
    .nullish(),
});

/**
 * INSTALL and UNINSTALL concern a location, or a whole agency (company) for agency-level and
 * bulk installs: one of the two ids is needed to know whose connection changed.
 */
export const appEventSchema = z
  .looseObject({
    ...envelope,
    appId: text,
    locationId: ghlId.nullish(),
    companyId: ghlId.nullish(),
    userId: text,
    planId: text,
    versionId: text,
    installType: text,
    companyName: text,
    isWhitelabelCompany: flag,
    whitelabelDetails: z.looseObject({ domain: text, logoUrl: text }).nullish(),
    trial: z
      .looseObject({ onTrial: flag, trialDuration: z.number().nullish(), trialStartDate: text })
      .nullish(),
  })
  .refine((event) => Boolean(event.locationId || event.companyId), {
    message: 'neither locationId nor companyId',
  });
