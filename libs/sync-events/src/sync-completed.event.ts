import { randomUUID } from 'node:crypto';

/** The event's name on the wire; consumers' queues are `sync-completed.<consumer>`. */
export const SYNC_COMPLETED = 'sync-completed';

export type SyncScope = 'location' | 'contact';
export type SyncTrigger = 'install' | 'nightly' | 'manual' | 'webhook' | 'location-sync';

export interface SyncCounts {
  contacts: number;
  tasks: number;
  notes: number;
  appointments: number;
  tombstoned: number;
}

/**
 * Version 1 of `sync-completed` (schema: `schema/sync-completed.v1.json`). Adding an optional
 * field keeps the version; renaming, removing or retyping one makes a v2, published beside v1
 * until every consumer moved.
 */
export interface SyncCompletedEventV1 {
  type: typeof SYNC_COMPLETED;
  version: 1;
  /** Unique per event, the same on every redelivery: consumers deduplicate by it. */
  eventId: string;
  /** ISO-8601 UTC: when the records were committed. */
  occurredAt: string;
  locationId: string;
  scope: SyncScope;
  /** Set for scope `contact`, null for scope `location`. */
  contactId: string | null;
  trigger: SyncTrigger;
  syncRunId: string | null;
  /** Scope `contact`: GHL no longer has the contact and its record is tombstoned. */
  contactDeleted: boolean;
  counts: SyncCounts;
}

export type SyncCompletedEvent = SyncCompletedEventV1;

export interface SyncCompletedInput {
  locationId: string;
  scope: SyncScope;
  contactId?: string | null;
  trigger: SyncTrigger;
  syncRunId?: string | null;
  contactDeleted?: boolean;
  counts?: Partial<SyncCounts>;
  /** Defaults to now. */
  occurredAt?: Date;
}

export const emptyCounts = (): SyncCounts => ({
  contacts: 0,
  tasks: 0,
  notes: 0,
  appointments: 0,
  tombstoned: 0,
});

/** A v1 event with a fresh event id. The producer stores it in its outbox as is. */
export function buildSyncCompletedEvent(input: SyncCompletedInput): SyncCompletedEventV1 {
  if (input.scope === 'contact' && !input.contactId) {
    throw new Error('a contact-scoped sync-completed event needs its contactId');
  }

  return {
    type: SYNC_COMPLETED,
    version: 1,
    eventId: randomUUID(),
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    locationId: input.locationId,
    scope: input.scope,
    contactId: input.scope === 'contact' ? (input.contactId ?? null) : null,
    trigger: input.trigger,
    syncRunId: input.syncRunId ?? null,
    contactDeleted: input.contactDeleted ?? false,
    counts: { ...emptyCounts(), ...input.counts },
  };
}
