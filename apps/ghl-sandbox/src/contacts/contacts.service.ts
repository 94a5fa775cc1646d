import { HttpException, Injectable } from '@nestjs/common';

import { ContactCursor, LocationDataset } from '../dataset/location-dataset';
import { SandboxContact } from '../dataset/records';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { FaultsService } from '../faults/faults.service';
import { badRequest, notFound, unprocessable } from '../http/ghl-errors';
import { contactEvent } from '../webhooks/webhook-payloads';
import { WebhookSender } from '../webhooks/webhook-sender.service';
import {
  applyContactInput,
  ContactInput,
  contactInputProblems,
  refreshNames,
  unique,
} from './contact-input';

export type WebhookEvent = Record<string, unknown> & { type: string };

/** A change and the webhooks GHL sends for it. */
export interface Change<T> {
  record: T;
  events: WebhookEvent[];
}

export interface ListQuery {
  limit?: string;
  startAfterId?: string;
  startAfter?: string;
  query?: string;
}

export const MAX_PAGE_SIZE = 100;

/** Contacts as GHL's API v2 serves and changes them. */
@Injectable()
export class ContactsService {
  constructor(
    private readonly store: SandboxStore,
    private readonly faults: FaultsService,
    private readonly webhooks: WebhookSender,
  ) {}

  get(dataset: LocationDataset, contactId: string): SandboxContact {
    const contact = dataset.contacts.get(contactId);
    if (!contact) throw notFound('Contact not found');

    return contact;
  }

  /**
   * GET /contacts/: a page after the (startAfter, startAfterId) cursor, in (dateAdded, id) order.
   * Like GHL, `nextPageUrl` does not repeat `locationId`: a client that just follows it fails.
   */
  list(dataset: LocationDataset, query: ListQuery, baseUrl: string) {
    const limit = pageSize(query.limit, 20, MAX_PAGE_SIZE);
    const cursor = this.cursorFrom(dataset, query);
    if (cursor && this.faults.settings.mutateDuringWalk > 0) this.mutateDuringWalk(dataset);

    const matches = query.query ? textMatcher(query.query) : undefined;
    const page = dataset.page(cursor, limit, matches);
    const total = matches ? dataset.ordered().filter(matches).length : dataset.contacts.size;
    const currentPage = Math.floor(page.offset / limit) + 1;
    const last = page.contacts[page.contacts.length - 1];
    const meta: Record<string, unknown> = { total, currentPage, prevPage: null };
    if (currentPage > 1) meta.prevPage = currentPage - 1;
    if (page.hasMore && last) {
      const next = dataset.cursorOf(last);
      const url = new URL('/contacts/', baseUrl);
      url.searchParams.set('startAfterId', next.id);
      url.searchParams.set('startAfter', String(next.addedMs));
      url.searchParams.set('limit', String(limit));
      if (query.query) url.searchParams.set('query', query.query);
      Object.assign(meta, {
        startAfterId: next.id,
        startAfter: next.addedMs,
        nextPageUrl: url.toString(),
        nextPage: currentPage + 1,
      });
    }

    return { contacts: page.contacts, count: total, meta };
  }

  /**
   * POST /contacts/search: page/pageLimit up to 10,000 records, `searchAfter` past them. A page
   * asked with `searchAfter`, short of the last, is one `mutateDuringWalk` changes the location
   * under.
   */
  search(
    dataset: LocationDataset,
    body: {
      page?: number;
      pageLimit?: number;
      searchAfter?: unknown[];
      query?: string;
      filters?: Array<{ field?: string; operator?: string; value?: unknown }>;
    },
  ) {
    const pageLimit = body.pageLimit ?? 20;
    if (!Number.isInteger(pageLimit) || pageLimit < 1 || pageLimit > 500) {
      throw unprocessable(['pageLimit must not be greater than 500']);
    }
    const matchers = [
      ...(body.query ? [textMatcher(body.query)] : []),
      ...(body.filters ?? []).map(filterMatcher),
    ];
    const matches = (contact: SandboxContact) => matchers.every((match) => match(contact));
    let all = dataset.ordered().filter(matches);
    let start = 0;
    if (body.searchAfter !== undefined) {
      const cursor = searchAfterCursor(body.searchAfter);
      start = all.findIndex((contact) => compare(dataset.cursorOf(contact), cursor) > 0);
      if (start === -1) start = all.length;
    } else {
      const page = body.page ?? 1;
      if (page * pageLimit > 10_000) {
        throw badRequest('Use searchAfter to page beyond the first 10,000 records');
      }
      start = (page - 1) * pageLimit;
    }
    // Changes land before the walk reaches its end: after it they would feed it forever, since
    // each new contact sorts after every cursor (a search ends only on an empty page).
    const isBeforeTheEnd = all.length - start > pageLimit;
    if (body.searchAfter !== undefined && isBeforeTheEnd && this.faults.settings.mutateDuringWalk) {
      this.mutateDuringWalk(dataset);
      all = dataset.ordered().filter(matches);
    }
    const contacts = all.slice(start, start + pageLimit).map((contact) => {
      const cursor = dataset.cursorOf(contact);

      return { ...contact, searchAfter: [cursor.addedMs, cursor.id] };
    });

    return { contacts, total: all.length };
  }

  duplicate(dataset: LocationDataset, email?: string, number?: string) {
    return { contact: this.findDuplicate(dataset, { email, phone: number })?.contact ?? null };
  }

  byBusiness(
    dataset: LocationDataset,
    businessId: string,
    query: { limit?: string; skip?: string; query?: string },
  ) {
    const limit = pageSize(query.limit, 25, MAX_PAGE_SIZE);
    const skip = Math.max(0, Number(query.skip ?? 0) || 0);
    const text = query.query ? textMatcher(query.query) : () => true;
    const members = dataset
      .ordered()
      .filter((contact) => contact.businessId === businessId && text(contact));

    return { contacts: members.slice(skip, skip + limit), count: members.length };
  }

  create(dataset: LocationDataset, input: ContactInput): Change<SandboxContact> {
    this.validate(input);
    const duplicate = dataset.location.settings.allowDuplicateContact
      ? undefined
      : this.findDuplicate(dataset, input);
    if (duplicate) {
      throw new DuplicateContactError(duplicate.contact.id, duplicate.matchingField);
    }
    const contact = this.blankContact(dataset);
    applyContactInput(dataset, contact, input);
    dataset.insertContact(contact);

    return { record: contact, events: [contactEvent('ContactCreate', contact)] };
  }

  update(dataset: LocationDataset, contactId: string, input: ContactInput) {
    this.validate(input);
    const contact = this.get(dataset, contactId);
    const tagsBefore = contact.tags.join('\n');
    applyContactInput(dataset, contact, input);
    contact.dateUpdated = new Date().toISOString();
    const events: WebhookEvent[] = [contactEvent('ContactUpdate', contact)];
    if (contact.tags.join('\n') !== tagsBefore) {
      events.push(contactEvent('ContactTagUpdate', contact));
    }

    return { record: contact, events };
  }

  upsert(
    dataset: LocationDataset,
    input: ContactInput & { createNewIfDuplicateAllowed?: boolean },
  ) {
    this.validate(input);
    const alwaysCreates =
      input.createNewIfDuplicateAllowed === true && dataset.location.settings.allowDuplicateContact;
    const existing = alwaysCreates ? undefined : this.findDuplicate(dataset, input);
    if (!existing) {
      const contact = this.blankContact(dataset);
      applyContactInput(dataset, contact, input);
      dataset.insertContact(contact);

      return { isNew: true, record: contact, events: [contactEvent('ContactCreate', contact)] };
    }

    return { isNew: false, ...this.update(dataset, existing.contact.id, input) };
  }

  remove(dataset: LocationDataset, contactId: string): Change<SandboxContact> {
    const contact = this.get(dataset, contactId);
    dataset.removeContact(contactId);

    return { record: contact, events: [contactEvent('ContactDelete', contact)] };
  }

  changeTags(
    dataset: LocationDataset,
    contactId: string,
    change: { add?: string[]; remove?: string[] },
  ): Change<SandboxContact> {
    const contact = this.get(dataset, contactId);
    const removed = new Set(change.remove ?? []);
    const tags = unique([...contact.tags, ...(change.add ?? [])]).filter(
      (tag) => !removed.has(tag),
    );
    const isChanged = tags.join('\n') !== contact.tags.join('\n');
    contact.tags = tags;
    if (!isChanged) return { record: contact, events: [] };
    contact.dateUpdated = new Date().toISOString();

    return { record: contact, events: [contactEvent('ContactTagUpdate', contact)] };
  }

  /** Sends a change's webhooks in the background, as GHL does after an API write. */
  notify(events: WebhookEvent[]): void {
    for (const event of events) void this.webhooks.send(event);
  }

  private validate(input: ContactInput): void {
    const problems = contactInputProblems(input ?? {});
    if (problems.length > 0) throw unprocessable(problems);
  }

  private blankContact(dataset: LocationDataset): SandboxContact {
    const now = dataset.nextAddedMs();
    const id = this.store.changePrng(dataset.id).id();
    const contact: SandboxContact = {
      id,
      locationId: dataset.id,
      contactName: '',
      name: '',
      firstName: '',
      lastName: '',
      firstNameLowerCase: '',
      lastNameLowerCase: '',
      fullNameLowerCase: '',
      timezone: dataset.location.timezone,
      dnd: false,
      type: 'lead',
      source: 'api',
      country: 'US',
      tags: [],
      dateAdded: new Date(now).toISOString(),
      dateUpdated: new Date(now).toISOString(),
      customFields: [],
      followers: [],
    };
    refreshNames(contact);

    return contact;
  }

  private findDuplicate(
    dataset: LocationDataset,
    input: { email?: string | null; phone?: string | null },
  ): { contact: SandboxContact; matchingField: 'email' | 'phone' } | undefined {
    const email = input.email?.toLowerCase();
    const phone = input.phone ? normalizePhone(input.phone) : undefined;
    if (!email && !phone) return undefined;
    let byPhone: SandboxContact | undefined;
    for (const contact of dataset.contacts.values()) {
      if (email && contact.emailLowerCase === email) return { contact, matchingField: 'email' };
      if (phone && !byPhone && contact.phone && normalizePhone(contact.phone) === phone) {
        byPhone = contact;
      }
    }

    return byPhone ? { contact: byPhone, matchingField: 'phone' } : undefined;
  }

  private cursorFrom(dataset: LocationDataset, query: ListQuery): ContactCursor | undefined {
    if (query.startAfter !== undefined && query.startAfterId !== undefined) {
      const addedMs = Number(query.startAfter);
      if (!Number.isFinite(addedMs)) throw unprocessable(['startAfter must be a number']);

      return { addedMs, id: query.startAfterId };
    }
    if (query.startAfterId !== undefined) {
      const contact = dataset.contacts.get(query.startAfterId);
      if (!contact) throw badRequest('startAfter is required when startAfterId is not a contact');

      return dataset.cursorOf(contact);
    }
    if (query.startAfter !== undefined) {
      const addedMs = Number(query.startAfter);
      if (!Number.isFinite(addedMs)) throw unprocessable(['startAfter must be a number']);

      // Every id sorts after '', so this starts at the first contact added after startAfter.
      return { addedMs, id: '\uffff' };
    }

    return undefined;
  }

  /** The `mutateDuringWalk` knob: the location changes under a paginated walk. */
  private mutateDuringWalk(dataset: LocationDataset): void {
    const factory = this.store.factory(dataset);
    const prng = this.store.changePrng(dataset.id);
    const events: WebhookEvent[] = [];
    for (let count = 0; count < this.faults.settings.mutateDuringWalk; count++) {
      const addedMs = dataset.nextAddedMs();
      const created = factory.contact(addedMs, addedMs);
      dataset.insertContact(created);
      events.push(contactEvent('ContactCreate', created));

      const updated = dataset.contactAt(prng.int(0, dataset.contacts.size - 1));
      if (updated) {
        updated.tags = unique([...updated.tags, 'hot-lead']);
        updated.dateUpdated = new Date().toISOString();
        events.push(contactEvent('ContactUpdate', updated));
      }
    }
    this.notify(events);
  }
}

/** GHL's answer to a create that matches an existing contact where duplicates are off. */
export class DuplicateContactError extends HttpException {
  constructor(contactId: string, matchingField: 'email' | 'phone') {
    super(
      {
        statusCode: 400,
        message: 'This location does not allow duplicated contacts.',
        meta: { contactId, matchingField },
      },
      400,
    );
  }
}

export function pageSize(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw unprocessable(['limit must be a positive number']);
  if (value > max) throw unprocessable([`limit must not be greater than ${max}`]);

  return value;
}

function compare(a: ContactCursor, b: ContactCursor): number {
  if (a.addedMs !== b.addedMs) return a.addedMs - b.addedMs;

  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function searchAfterCursor(value: unknown[]): ContactCursor {
  const [addedMs, id] = Array.isArray(value) ? value : [];
  if (typeof addedMs !== 'number' || typeof id !== 'string') {
    throw unprocessable(['searchAfter must be [dateAddedMs, contactId] from the previous page']);
  }

  return { addedMs, id };
}

function normalizePhone(phone: string): string {
  return phone.replace(/[^\d]/g, '');
}

function textMatcher(text: string): (contact: SandboxContact) => boolean {
  const needle = text.toLowerCase();

  return (contact) =>
    contact.fullNameLowerCase.includes(needle) ||
    (contact.emailLowerCase ?? '').includes(needle) ||
    (contact.phone ?? '').includes(needle) ||
    (contact.companyName ?? '').toLowerCase().includes(needle);
}

function filterMatcher(filter: { field?: string; operator?: string; value?: unknown }) {
  const field = filter.field ?? '';
  const wanted = filter.value;

  return (contact: SandboxContact): boolean => {
    const actual = (contact as unknown as Record<string, unknown>)[field];
    if (Array.isArray(actual)) {
      const values = Array.isArray(wanted) ? wanted : [wanted];

      return values.some((value) => actual.includes(value));
    }
    if (filter.operator === 'contains') {
      return String(actual ?? '')
        .toLowerCase()
        .includes(String(wanted).toLowerCase());
    }

    return String(actual ?? '').toLowerCase() === String(wanted).toLowerCase();
  };
}
