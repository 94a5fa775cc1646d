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
import type { GhlBodyOf, GhlResponseOf } from './ghl-operations';

/**
 * The contract the apps code against. `GhlClient` (ghl-client.ts) implements it over HTTP;
 * every method keeps GHL's own shapes and throws a `GhlApiError` subclass on failure.
 */

/** Supplies location access tokens; the sync workers ask the auth service for them. */
export interface AccessTokenProvider {
  /**
   * A currently valid access token for the location. `forceRefresh` is set after GHL answered
   * 401 to the token last returned: the provider must not hand the same token back.
   */
  getAccessToken(locationId: string, options?: { forceRefresh?: boolean }): Promise<string>;
}

/** Who spends the rate budget: real-time work goes first and keeps a reserve of the day. */
export type CallPriority = 'realtime' | 'reconciliation';

export interface LocationCallOptions {
  priority?: CallPriority;
  /** Aborts the call (and any wait for rate budget). */
  signal?: AbortSignal;
}

export interface ContactPageOptions extends LocationCallOptions {
  /** Page size, 1–100 (GHL's maximum); default 100. */
  pageSize?: number;
  query?: string;
}

/** The GHL calls one location can make, with that location's token and rate budget. */
export interface LocationApi {
  readonly locationId: string;

  getContact(contactId: string): Promise<GhlContact>;
  /** GET /contacts/ walked to the end, one page at a time; `locationId` on every page. */
  listContacts(options?: ContactPageOptions): AsyncIterable<GhlListedContact[]>;
  listContactTasks(contactId: string): Promise<GhlTask[]>;
  getContactTask(contactId: string, taskId: string): Promise<GhlTask>;
  listContactNotes(contactId: string): Promise<GhlNote[]>;
  getContactNote(contactId: string, noteId: string): Promise<GhlNote>;
  listContactAppointments(contactId: string): Promise<GhlAppointment[]>;
  getLocation(): Promise<GhlLocation>;
  /** GET /locations/{locationId}/customFields (needs `locations/customFields.readonly`). */
  listCustomFields(): Promise<GhlResponseOf<'get-custom-fields'>>;
  /** POST /locations/{locationId}/tasks/search, skip/limit (needs `locations/tasks.readonly`). */
  searchLocationTasks(body: GhlBodyOf<'task-search'>): Promise<GhlResponseOf<'task-search'>>;

  /** Creates need `contacts.write`; they are never retried blindly (see the README). */
  createContactTask(contactId: string, body: GhlCreateTaskBody): Promise<GhlTask>;
  updateContactTask(contactId: string, taskId: string, body: GhlUpdateTaskBody): Promise<GhlTask>;
  completeContactTask(contactId: string, taskId: string, completed: boolean): Promise<GhlTask>;
  deleteContactTask(contactId: string, taskId: string): Promise<void>;
  addContactTags(contactId: string, tags: string[]): Promise<string[]>;

  /** GHL calls this handle has made (counted for sync_runs). */
  readonly callCount: number;
}

export interface GhlApi {
  forLocation(locationId: string, options?: LocationCallOptions): LocationApi;
  close(): Promise<void>;
}
