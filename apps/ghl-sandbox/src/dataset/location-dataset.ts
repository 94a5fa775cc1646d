import {
  ChildOwner,
  SandboxAppointment,
  SandboxBusiness,
  SandboxContact,
  SandboxCustomFieldDefinition,
  SandboxLocation,
  SandboxNote,
  SandboxTask,
  SandboxUser,
} from './records';

/** A position in GET /contacts/'s order: dateAdded (epoch ms), then id. */
export interface ContactCursor {
  addedMs: number;
  id: string;
}

export interface ContactChildren {
  tasks: SandboxTask[];
  notes: SandboxNote[];
  appointments: SandboxAppointment[];
}

/**
 * A seeded contact's children, not generated yet: their counts, the seed that makes them, and
 * the contact's fields they are made with as they were seeded, so that the same children come
 * out every time, however the contact has changed since.
 */
export interface LazyChildren {
  seed: number;
  tasks: number;
  notes: number;
  appointments: number;
  seededAs: ChildOwner;
}

export type ChildGenerator = (lazy: LazyChildren) => ContactChildren;

interface OrderedContact {
  addedMs: number;
  contact: SandboxContact;
}

function compareCursor(a: ContactCursor, b: ContactCursor): number {
  if (a.addedMs !== b.addedMs) return a.addedMs - b.addedMs;

  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const NO_CHILDREN: ContactChildren = Object.freeze({ tasks: [], notes: [], appointments: [] });

/**
 * Seeded contacts whose generated children are kept: a full sync reads each contact's children
 * three times (the task search, notes, appointments), and generating them is most of what such
 * a read costs. About 40 MB at this bound; beyond it the oldest are generated again when read.
 */
const GENERATED_KEPT = 16_384;

/**
 * One location's live data. Contacts are kept in GET /contacts/'s stable order (dateAdded, then
 * id) so that a cursor walk stays exact while contacts are added, updated and deleted: updates
 * never move a contact, and new contacts land after every cursor handed out before.
 *
 * A seeded contact's tasks, notes and appointments are generated from their own seed when first
 * read, and kept only once something changes them: 100,000 contacts stay small in memory. The
 * last GENERATED_KEPT generated are remembered, frozen, so that reads in a row generate them
 * once; a change copies them first.
 */
export class LocationDataset {
  readonly contacts = new Map<string, SandboxContact>();
  /** Campaign and workflow memberships: accepted and remembered, never served by GHL's GETs. */
  readonly memberships = new Map<string, { campaigns: Set<string>; workflows: Set<string> }>();
  private readonly order: OrderedContact[] = [];
  private readonly children = new Map<string, ContactChildren>();
  private readonly lazyChildren = new Map<string, LazyChildren>();
  private readonly generated = new Map<string, ContactChildren>();
  private generateChildren: ChildGenerator = () => NO_CHILDREN;

  constructor(
    readonly location: SandboxLocation,
    readonly customFields: SandboxCustomFieldDefinition[],
    readonly users: SandboxUser[],
    readonly businesses: SandboxBusiness[],
    readonly calendarId: string,
  ) {}

  get id(): string {
    return this.location.id;
  }

  /** Adds seeded contacts already sorted by (dateAdded, id); used by the generator only. */
  loadSorted(
    contacts: Array<{ contact: SandboxContact; lazy: LazyChildren }>,
    generator: ChildGenerator,
  ): void {
    this.generateChildren = generator;
    for (const { contact, lazy } of contacts) {
      this.contacts.set(contact.id, contact);
      this.order.push({ addedMs: Date.parse(contact.dateAdded), contact });
      if (lazy.tasks + lazy.notes + lazy.appointments > 0) this.lazyChildren.set(contact.id, lazy);
    }
  }

  /**
   * The dateAdded of a contact created now: strictly after every contact there is, so that it
   * sorts after any cursor already handed out, even within the same millisecond.
   */
  nextAddedMs(now = Date.now()): number {
    const last = this.order[this.order.length - 1];

    return last ? Math.max(now, last.addedMs + 1) : now;
  }

  insertContact(contact: SandboxContact): void {
    const entry = { addedMs: Date.parse(contact.dateAdded), contact };
    const index = this.firstIndexAfter({ addedMs: entry.addedMs, id: contact.id });
    this.order.splice(index, 0, entry);
    this.contacts.set(contact.id, contact);
  }

  removeContact(contactId: string): SandboxContact | undefined {
    const contact = this.contacts.get(contactId);
    if (!contact) return undefined;

    const index = this.firstIndexAfter(this.cursorOf(contact)) - 1;
    if (index >= 0 && this.order[index].contact.id === contactId) this.order.splice(index, 1);
    this.contacts.delete(contactId);
    this.children.delete(contactId);
    this.lazyChildren.delete(contactId);
    this.generated.delete(contactId);
    this.memberships.delete(contactId);

    return contact;
  }

  /** A contact's tasks, notes and appointments, to read (seeded ones come frozen). */
  childrenOf(contactId: string): ContactChildren {
    const kept = this.children.get(contactId) ?? this.generated.get(contactId);
    if (kept) return kept;
    const lazy = this.lazyChildren.get(contactId);
    if (!lazy || !this.contacts.has(contactId)) return NO_CHILDREN;

    return this.remember(contactId, this.generateChildren(lazy));
  }

  private remember(contactId: string, children: ContactChildren): ContactChildren {
    if (this.generated.size >= GENERATED_KEPT) {
      const oldest = this.generated.keys().next().value as string;
      this.generated.delete(oldest);
    }
    const frozen = Object.freeze({
      tasks: Object.freeze(children.tasks) as SandboxTask[],
      notes: Object.freeze(children.notes) as SandboxNote[],
      appointments: Object.freeze(children.appointments) as SandboxAppointment[],
    });
    this.generated.set(contactId, frozen);

    return frozen;
  }

  /** A contact's children, to change: generated once and kept from then on. */
  mutableChildrenOf(contactId: string): ContactChildren {
    const kept = this.children.get(contactId);
    if (kept) return kept;

    // Copies of the records too: generated ones may be remembered, and are read as they were.
    const current = this.childrenOf(contactId);
    const mutable = {
      tasks: current.tasks.map((task) => ({ ...task })),
      notes: current.notes.map((note) => ({ ...note })),
      appointments: current.appointments.map((item) => ({ ...item, users: [...item.users] })),
    };
    this.children.set(contactId, mutable);
    this.lazyChildren.delete(contactId);
    this.generated.delete(contactId);

    return mutable;
  }

  /** Contacts after `cursor` (or from the start), in order, optionally filtered. */
  page(
    cursor: ContactCursor | undefined,
    limit: number,
    matches?: (contact: SandboxContact) => boolean,
  ): { contacts: SandboxContact[]; hasMore: boolean; offset: number } {
    const start = cursor ? this.firstIndexAfter(cursor) : 0;
    const contacts: SandboxContact[] = [];
    let index = start;
    for (; index < this.order.length && contacts.length < limit; index++) {
      const contact = this.order[index].contact;
      if (!matches || matches(contact)) contacts.push(contact);
    }
    let hasMore = false;
    for (; index < this.order.length && !hasMore; index++) {
      hasMore = !matches || matches(this.order[index].contact);
    }

    return { contacts, hasMore, offset: start };
  }

  /** Every live contact in order. */
  ordered(): SandboxContact[] {
    return this.order.map((entry) => entry.contact);
  }

  /** The contact at a position of the order (for picking one at random). */
  contactAt(index: number): SandboxContact | undefined {
    return this.order[index]?.contact;
  }

  cursorOf(contact: SandboxContact): ContactCursor {
    return { addedMs: Date.parse(contact.dateAdded), id: contact.id };
  }

  counts(): { contacts: number; tasks: number; notes: number; appointments: number } {
    const counts = { contacts: this.contacts.size, tasks: 0, notes: 0, appointments: 0 };
    for (const kept of this.children.values()) {
      counts.tasks += kept.tasks.length;
      counts.notes += kept.notes.length;
      counts.appointments += kept.appointments.length;
    }
    for (const lazy of this.lazyChildren.values()) {
      counts.tasks += lazy.tasks;
      counts.notes += lazy.notes;
      counts.appointments += lazy.appointments;
    }

    return counts;
  }

  /** Index of the first contact strictly after `cursor` (binary search). */
  private firstIndexAfter(cursor: ContactCursor): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = this.order[middle];
      const isAfter = compareCursor({ addedMs: entry.addedMs, id: entry.contact.id }, cursor) > 0;
      if (isAfter) high = middle;
      else low = middle + 1;
    }

    return low;
  }
}
