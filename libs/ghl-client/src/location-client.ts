import type {
  CallPriority,
  ContactPageOptions,
  LocationApi,
  LocationCallOptions,
} from './ghl-client.contract';
import type { GhlBodyOf, GhlOperationId, GhlQueryOf, GhlResponseOf } from './ghl-operations';
import type {
  GhlAppointment,
  GhlContact,
  GhlCreateTaskBody,
  GhlListedContact,
  GhlLocation,
  GhlNote,
  GhlTask,
  GhlUpdateTaskBody,
} from './ghl-types';
import type { HttpMethod } from './http/ghl-transport';
import { type LocationCaller, type ReplaySafety } from './http/location-caller';
import { type ContactCursor, nextContactCursor, sameCursor } from './pagination/contact-cursor';

/** GHL's maximum page size for GET /contacts/ and the business contacts list. */
export const GHL_MAX_PAGE_SIZE = 100;

/**
 * POST /contacts/search body. The spec leaves it empty (an external document describes it); the
 * fields below are the documented ones. `searchAfter` and `page` are set by the iterator.
 */
export interface ContactSearchRequest {
  filters?: Array<Record<string, unknown>>;
  sort?: Array<{ field: string; direction: 'asc' | 'desc' }>;
  /** Free-text query, at most 75 characters. */
  query?: string;
  /** Page size, at most 500. Default 100. */
  pageLimit?: number;
}

export type GhlSearchedContact = GhlListedContact & { searchAfter?: unknown[] };

interface Endpoint {
  operation: GhlOperationId;
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Overrides the method's default: GET, PUT, DELETE idempotent; POST a create. */
  replay?: ReplaySafety;
}

const path = (template: TemplateStringsArray, ...ids: string[]) =>
  template.reduce((out, part, index) => out + encodeURIComponent(ids[index - 1]) + part);

/**
 * Every operation of GHL's contacts spec (and the location calls the product uses) for one
 * location. Obtain it from `GhlClient.forLocation`. Per-call `priority` and `signal` come from
 * the options given there, unless a paginated call overrides them.
 */
export class LocationClient implements LocationApi {
  constructor(
    readonly locationId: string,
    private readonly caller: LocationCaller,
    private readonly defaults: LocationCallOptions = {},
  ) {}

  get callCount(): number {
    return this.caller.callCount;
  }

  // --- contacts ------------------------------------------------------------------------------

  async getContact(contactId: string): Promise<GhlContact> {
    const answer = await this.send<'get-contact'>({
      operation: 'get-contact',
      method: 'GET',
      path: path`/contacts/${contactId}`,
    });

    return answer.contact ?? {};
  }

  /**
   * Walks GET /contacts/ in GHL's (dateAdded, id) order. Each page repeats `locationId`, `limit`
   * and `query`; the next page starts after the last contact (`startAfterId` = its id,
   * `startAfter` = its `dateAdded` in epoch ms) or after the answer's `meta` cursor. Ends on an
   * empty page or a missing or repeated cursor; `count`/`total` are never trusted. A contact
   * seen on an earlier page is not yielded again.
   */
  async *listContacts(options: ContactPageOptions = {}): AsyncIterable<GhlListedContact[]> {
    const limit = pageSize(options.pageSize);
    const seen = new Set<string>();
    let cursor: ContactCursor | undefined;
    for (;;) {
      const page = await this.send<'get-contacts'>(
        {
          operation: 'get-contacts',
          method: 'GET',
          path: '/contacts/',
          query: { locationId: this.locationId, limit, query: options.query, ...cursor },
        },
        options,
      );
      const contacts = page.contacts ?? [];
      const fresh = unseen(contacts, seen);
      if (fresh.length > 0) yield fresh;

      const next = nextContactCursor(page);
      const isLastPage = contacts.length === 0 || !next || sameCursor(next, cursor);
      if (isLastPage) return;
      cursor = next;
    }
  }

  /**
   * Walks POST /contacts/search with the `searchAfter` cursor of each page's last contact, so
   * that it goes past GHL's 10,000-record limit of page numbers. Ends on an empty page or a
   * missing or repeated cursor.
   */
  async *searchContacts(
    request: ContactSearchRequest = {},
    options: LocationCallOptions = {},
  ): AsyncIterable<GhlSearchedContact[]> {
    const seen = new Set<string>();
    let searchAfter: unknown[] | undefined;
    for (;;) {
      const body = { pageLimit: 100, ...request, locationId: this.locationId, searchAfter };
      const page = await this.send<{ contacts?: GhlSearchedContact[] }>(
        { operation: 'search-contacts-advanced', method: 'POST', path: '/contacts/search', body },
        options,
        'idempotent',
      );
      const contacts = page.contacts ?? [];
      const fresh = unseen(contacts, seen);
      if (fresh.length > 0) yield fresh;

      const next = contacts[contacts.length - 1]?.searchAfter;
      const isLastPage =
        contacts.length === 0 || !Array.isArray(next) || sameValue(next, searchAfter);
      if (isLastPage) return;
      searchAfter = next;
    }
  }

  /** Walks GET /contacts/business/{businessId} with `skip`/`limit` until an empty page. */
  async *listBusinessContacts(
    businessId: string,
    options: ContactPageOptions = {},
  ): AsyncIterable<GhlListedContact[]> {
    const limit = pageSize(options.pageSize);
    const seen = new Set<string>();
    for (let skip = 0; ; skip += limit) {
      const query: GhlQueryOf<'get-contacts-by-businessId'> = {
        locationId: this.locationId,
        limit: String(limit),
        skip: String(skip),
        query: options.query,
      };
      const page = await this.send<'get-contacts-by-businessId'>(
        {
          operation: 'get-contacts-by-businessId',
          method: 'GET',
          path: path`/contacts/business/${businessId}`,
          query: { ...query },
        },
        options,
      );
      const contacts = page.contacts ?? [];
      if (contacts.length === 0) return;
      const fresh = unseen(contacts, seen);
      if (fresh.length > 0) yield fresh;
    }
  }

  /** GET /contacts/search/duplicate: the contact a create with this email or phone would hit. */
  async findDuplicateContact(match: {
    email?: string;
    number?: string;
  }): Promise<GhlContact | undefined> {
    // The spec gives this answer no schema; GHL answers `{ contact }` (null when none matches).
    const answer = await this.send<{ contact?: GhlContact | null }>({
      operation: 'get-duplicate-contact',
      method: 'GET',
      path: '/contacts/search/duplicate',
      query: { locationId: this.locationId, email: match.email, number: match.number },
    });

    return answer.contact ?? undefined;
  }

  /**
   * POST /contacts/ (a create: never replayed after a lost answer; on an error with
   * `outcomeUnknown`, call `findDuplicateContact` before creating again, or use `upsertContact`).
   */
  async createContact(body: Omit<GhlBodyOf<'create-contact'>, 'locationId'>): Promise<GhlContact> {
    const answer = await this.send<'create-contact'>({
      operation: 'create-contact',
      method: 'POST',
      path: '/contacts/',
      body: { ...body, locationId: this.locationId },
    });

    return (answer.contact ?? {}) as GhlContact;
  }

  /** POST /contacts/upsert: matches on the location's duplicate rules (email / phone). */
  upsertContact(
    body: Omit<GhlBodyOf<'upsert-contact'>, 'locationId'>,
  ): Promise<GhlResponseOf<'upsert-contact'>> {
    return this.send<'upsert-contact'>({
      operation: 'upsert-contact',
      method: 'POST',
      path: '/contacts/upsert',
      body: { ...body, locationId: this.locationId },
    });
  }

  /** PUT /contacts/{contactId}. `tags` here replaces every tag: prefer `addContactTags`. */
  async updateContact(contactId: string, body: GhlBodyOf<'update-contact'>): Promise<GhlContact> {
    const answer = await this.send<'update-contact'>({
      operation: 'update-contact',
      method: 'PUT',
      path: path`/contacts/${contactId}`,
      body,
    });

    return answer.contact ?? {};
  }

  async deleteContact(contactId: string): Promise<void> {
    await this.send<'delete-contact'>({
      operation: 'delete-contact',
      method: 'DELETE',
      path: path`/contacts/${contactId}`,
    });
  }

  // --- tasks ---------------------------------------------------------------------------------

  async listContactTasks(contactId: string): Promise<GhlTask[]> {
    const answer = await this.send<'get-all-tasks'>({
      operation: 'get-all-tasks',
      method: 'GET',
      path: path`/contacts/${contactId}/tasks`,
    });

    return answer.tasks ?? [];
  }

  async getContactTask(contactId: string, taskId: string): Promise<GhlTask> {
    const answer = await this.send<'get-task'>({
      operation: 'get-task',
      method: 'GET',
      path: path`/contacts/${contactId}/tasks/${taskId}`,
    });

    return answer.task ?? {};
  }

  /**
   * POST /contacts/{contactId}/tasks (a create: never replayed after a lost answer). On an error
   * with `outcomeUnknown`, use `createContactTaskOnce` or list the tasks before creating again.
   */
  async createContactTask(contactId: string, body: GhlCreateTaskBody): Promise<GhlTask> {
    const answer = await this.send<'create-task'>({
      operation: 'create-task',
      method: 'POST',
      path: path`/contacts/${contactId}/tasks`,
      body,
    });

    return answer.task ?? {};
  }

  /**
   * Creates the task unless the contact already has one with the same title and due date: the
   * safe way to repeat a create whose first answer was lost (a job retry, an `outcomeUnknown`).
   */
  async createContactTaskOnce(contactId: string, body: GhlCreateTaskBody): Promise<GhlTask> {
    const existing = await this.listContactTasks(contactId);
    const dueAt = Date.parse(body.dueDate);
    const twin = existing.find(
      (task) => task.title === body.title && Date.parse(task.dueDate ?? '') === dueAt,
    );

    return twin ?? this.createContactTask(contactId, body);
  }

  async updateContactTask(
    contactId: string,
    taskId: string,
    body: GhlUpdateTaskBody,
  ): Promise<GhlTask> {
    const answer = await this.send<'update-task'>({
      operation: 'update-task',
      method: 'PUT',
      path: path`/contacts/${contactId}/tasks/${taskId}`,
      body,
    });

    return answer.task ?? {};
  }

  async completeContactTask(
    contactId: string,
    taskId: string,
    completed: boolean,
  ): Promise<GhlTask> {
    const body: GhlBodyOf<'update-task-completed'> = { completed };
    const answer = await this.send<'update-task-completed'>({
      operation: 'update-task-completed',
      method: 'PUT',
      path: path`/contacts/${contactId}/tasks/${taskId}/completed`,
      body,
    });

    return answer.task ?? {};
  }

  async deleteContactTask(contactId: string, taskId: string): Promise<void> {
    await this.send<'delete-task'>({
      operation: 'delete-task',
      method: 'DELETE',
      path: path`/contacts/${contactId}/tasks/${taskId}`,
    });
  }

  // --- tags, followers, campaigns, workflows ---------------------------------------------------

  /** POST /contacts/{contactId}/tags. Adding a tag twice changes nothing, so it is retried. */
  async addContactTags(contactId: string, tags: string[]): Promise<string[]> {
    const answer = await this.send<'add-tags'>(
      {
        operation: 'add-tags',
        method: 'POST',
        path: path`/contacts/${contactId}/tags`,
        body: { tags },
      },
      {},
      'idempotent',
    );

    return answer.tags ?? [];
  }

  async removeContactTags(contactId: string, tags: string[]): Promise<string[]> {
    const answer = await this.send<'remove-tags'>({
      operation: 'remove-tags',
      method: 'DELETE',
      path: path`/contacts/${contactId}/tags`,
      body: { tags },
    });

    return answer.tags ?? [];
  }

  /** POST /contacts/bulk/tags/update/{type}: adds or removes tags on many contacts at once. */
  bulkUpdateContactTags(
    type: 'add' | 'remove',
    body: Omit<GhlBodyOf<'create-association'>, 'locationId'>,
  ): Promise<GhlResponseOf<'create-association'>> {
    return this.send<'create-association'>(
      {
        operation: 'create-association',
        method: 'POST',
        path: path`/contacts/bulk/tags/update/${type}`,
        body: { ...body, locationId: this.locationId },
      },
      {},
      'idempotent',
    );
  }

  /** POST /contacts/bulk/business: puts contacts in a business (`businessId: null` detaches). */
  setContactsBusiness(
    body: Omit<GhlBodyOf<'add-remove-contact-from-business'>, 'locationId'>,
  ): Promise<GhlResponseOf<'add-remove-contact-from-business'>> {
    return this.send<'add-remove-contact-from-business'>(
      {
        operation: 'add-remove-contact-from-business',
        method: 'POST',
        path: '/contacts/bulk/business',
        body: { ...body, locationId: this.locationId },
      },
      {},
      'idempotent',
    );
  }

  addContactFollowers(
    contactId: string,
    followers: string[],
  ): Promise<GhlResponseOf<'add-followers-contact'>> {
    return this.send<'add-followers-contact'>(
      {
        operation: 'add-followers-contact',
        method: 'POST',
        path: path`/contacts/${contactId}/followers`,
        body: { followers },
      },
      {},
      'idempotent',
    );
  }

  removeContactFollowers(
    contactId: string,
    followers: string[],
  ): Promise<GhlResponseOf<'remove-followers-contact'>> {
    return this.send<'remove-followers-contact'>({
      operation: 'remove-followers-contact',
      method: 'DELETE',
      path: path`/contacts/${contactId}/followers`,
      body: { followers },
    });
  }

  /** Not replayed after a lost answer: adding twice may enrol the contact twice. */
  async addContactToCampaign(contactId: string, campaignId: string): Promise<void> {
    await this.send<'add-contact-to-campaign'>({
      operation: 'add-contact-to-campaign',
      method: 'POST',
      path: path`/contacts/${contactId}/campaigns/${campaignId}`,
    });
  }

  async removeContactFromCampaign(contactId: string, campaignId: string): Promise<void> {
    await this.send<'remove-contact-from-campaign'>({
      operation: 'remove-contact-from-campaign',
      method: 'DELETE',
      path: path`/contacts/${contactId}/campaigns/${campaignId}`,
    });
  }

  async removeContactFromAllCampaigns(contactId: string): Promise<void> {
    await this.send<'remove-contact-from-every-campaign'>({
      operation: 'remove-contact-from-every-campaign',
      method: 'DELETE',
      path: path`/contacts/${contactId}/campaigns/removeAll`,
    });
  }

  /** Not replayed after a lost answer: a second add may start the workflow twice. */
  async addContactToWorkflow(
    contactId: string,
    workflowId: string,
    body: GhlBodyOf<'add-contact-to-workflow'> = {},
  ): Promise<void> {
    await this.send<'add-contact-to-workflow'>({
      operation: 'add-contact-to-workflow',
      method: 'POST',
      path: path`/contacts/${contactId}/workflow/${workflowId}`,
      body,
    });
  }

  async removeContactFromWorkflow(
    contactId: string,
    workflowId: string,
    body: GhlBodyOf<'delete-contact-from-workflow'> = {},
  ): Promise<void> {
    await this.send<'delete-contact-from-workflow'>({
      operation: 'delete-contact-from-workflow',
      method: 'DELETE',
      path: path`/contacts/${contactId}/workflow/${workflowId}`,
      body,
    });
  }

  // --- notes, appointments ---------------------------------------------------------------------

  async listContactNotes(contactId: string): Promise<GhlNote[]> {
    const answer = await this.send<'get-all-notes'>({
      operation: 'get-all-notes',
      method: 'GET',
      path: path`/contacts/${contactId}/notes`,
    });

    return answer.notes ?? [];
  }

  async getContactNote(contactId: string, noteId: string): Promise<GhlNote> {
    const answer = await this.send<'get-note'>({
      operation: 'get-note',
      method: 'GET',
      path: path`/contacts/${contactId}/notes/${noteId}`,
    });

    return answer.note ?? {};
  }

  /** POST /contacts/{contactId}/notes (a create: never replayed after a lost answer). */
  async createContactNote(contactId: string, body: GhlBodyOf<'create-note'>): Promise<GhlNote> {
    const answer = await this.send<'create-note'>({
      operation: 'create-note',
      method: 'POST',
      path: path`/contacts/${contactId}/notes`,
      body,
    });

    return answer.note ?? {};
  }

  async updateContactNote(
    contactId: string,
    noteId: string,
    body: GhlBodyOf<'update-note'>,
  ): Promise<GhlNote> {
    const answer = await this.send<'update-note'>({
      operation: 'update-note',
      method: 'PUT',
      path: path`/contacts/${contactId}/notes/${noteId}`,
      body,
    });

    return answer.note ?? {};
  }

  async deleteContactNote(contactId: string, noteId: string): Promise<void> {
    await this.send<'delete-note'>({
      operation: 'delete-note',
      method: 'DELETE',
      path: path`/contacts/${contactId}/notes/${noteId}`,
    });
  }

  async listContactAppointments(contactId: string): Promise<GhlAppointment[]> {
    const answer = await this.send<'get-appointments-for-contact'>({
      operation: 'get-appointments-for-contact',
      method: 'GET',
      path: path`/contacts/${contactId}/appointments`,
    });

    return answer.events ?? [];
  }

  // --- the location ----------------------------------------------------------------------------

  async getLocation(): Promise<GhlLocation> {
    return this.send<'get-location'>({
      operation: 'get-location',
      method: 'GET',
      path: path`/locations/${this.locationId}`,
    });
  }

  listCustomFields(): Promise<GhlResponseOf<'get-custom-fields'>> {
    return this.send<'get-custom-fields'>({
      operation: 'get-custom-fields',
      method: 'GET',
      path: path`/locations/${this.locationId}/customFields`,
    });
  }

  listLocationTags(): Promise<GhlResponseOf<'get-location-tags'>> {
    return this.send<'get-location-tags'>({
      operation: 'get-location-tags',
      method: 'GET',
      path: path`/locations/${this.locationId}/tags`,
    });
  }

  /** POST /locations/{locationId}/tasks/search (a read: retried like a GET). */
  searchLocationTasks(body: GhlBodyOf<'task-search'>): Promise<GhlResponseOf<'task-search'>> {
    return this.send<'task-search'>(
      {
        operation: 'task-search',
        method: 'POST',
        path: path`/locations/${this.locationId}/tasks/search`,
        body,
      },
      {},
      'idempotent',
    );
  }

  // --- plumbing --------------------------------------------------------------------------------

  private send<Id extends GhlOperationId | object>(
    endpoint: Endpoint,
    options: LocationCallOptions = {},
    replay?: ReplaySafety,
  ): Promise<Id extends GhlOperationId ? GhlResponseOf<Id> : Id> {
    const { operation, method, path: endpointPath, query, body } = endpoint;
    const priority: CallPriority = options.priority ?? this.defaults.priority ?? 'realtime';

    return this.caller.call({
      operation,
      request: { method, path: endpointPath, query, body },
      replay: replay ?? endpoint.replay ?? (method === 'POST' ? 'create' : 'idempotent'),
      priority,
      signal: options.signal ?? this.defaults.signal,
    });
  }
}

function pageSize(requested: number | undefined): number {
  return Math.min(GHL_MAX_PAGE_SIZE, Math.max(1, Math.floor(requested ?? GHL_MAX_PAGE_SIZE)));
}

/** The contacts of a page not yielded before; records their ids in `seen`. */
function unseen<T extends { id?: string }>(contacts: T[], seen: Set<string>): T[] {
  return contacts.filter((contact) => {
    if (!contact.id) return true;
    if (seen.has(contact.id)) return false;
    seen.add(contact.id);

    return true;
  });
}

function sameValue(a: unknown[] | undefined, b: unknown[] | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
