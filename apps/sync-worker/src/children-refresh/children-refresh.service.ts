import { Inject, Injectable, Logger } from '@nestjs/common';

import type { LocationApi } from '@sm/ghl-client';
import { JobPriority } from '@sm/queues';
import { buildSyncCompletedEvent } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { RunHandedBack } from '../jobs/job-handback';
import { mapWithConcurrency } from '../location-sync/map-with-concurrency';
import { fetchChildRows } from '../records/child-records';
import type { ChildKind } from '../records/record-tables';
import { ChildCounts, FetchedChildren, RecordWriter } from '../records/record-writer.service';

/**
 * Contacts refreshed at most per sweep (two GHL calls each): 400 calls an hour with the hourly
 * sweep, a sliver of GHL's 36,000 an hour per location, spread rather than in one night.
 */
export const CHILDREN_REFRESHED_PER_SWEEP = 200;

/** The task sweep covers tasks; these are the kinds only a per-contact call lists. */
const REFRESHED_KINDS: ChildKind[] = ['notes', 'appointments'];

/** Contacts refreshed, and their children written or tombstoned. */
export interface ChildrenRefreshResult extends ChildCounts {
  contacts: number;
}

/**
 * Re-reads the notes and appointments of the contacts whose children were fetched longest ago,
 * once that is more than CHILDREN_REFRESH_DAYS. A nightly run fetches children only of contacts
 * that changed or had an event, so a NoteCreate or Appointment* webhook GHL never delivered
 * (its retries have changed over time) would leave them wrong for good; this bounds how long.
 * It rides on the hourly task sweep, under the location's run lock, at reconciliation priority.
 */
@Injectable()
export class ChildrenRefresh {
  private readonly logger = new Logger(ChildrenRefresh.name);

  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly records: RecordWriter,
    private readonly enqueuer: JobEnqueuer,
  ) {}

  /**
   * One sweep's share. On shutdown (`signal`) the fetched ones are written and RunHandedBack
   * is thrown; the rest stay due for the next sweep.
   */
  async refreshDue(
    api: LocationApi,
    timeZone: string,
    signal?: AbortSignal,
  ): Promise<ChildrenRefreshResult> {
    const locationId = api.locationId;
    const due = await this.dueContacts(locationId);
    const listedAt = new Date();
    const failedIds: string[] = [];
    const fetched = await mapWithConcurrency(
      due,
      this.config.CHILD_FETCH_CONCURRENCY,
      async ({ id, version }): Promise<FetchedChildren | null> => {
        if (signal?.aborted) return null;
        const fetch = { locationId, fetchedAt: new Date(), timeZone };
        try {
          const rows = await fetchChildRows(api, id, fetch, REFRESHED_KINDS);

          return { contactId: id, rows, contactVersion: version };
        } catch (error) {
          if (signal?.aborted) return null;
          this.logger.warn(
            { locationId, contactId: id, error: describeError(error) },
            'children refresh of a contact failed; a contact sync of its own follows',
          );
          failedIds.push(id);

          return null;
        }
      },
    );
    const result = await this.write(locationId, fetched, listedAt);
    await this.handOff(locationId, failedIds);
    if (signal?.aborted) throw new RunHandedBack();

    return result;
  }

  /**
   * A contact whose refresh failed (gone from GHL, GHL refusing) goes to the back of the line and
   * gets a contact sync of its own, which tombstones it on a 404: left at the front, a few
   * deleted contacts took every sweep's share for good.
   */
  private async handOff(locationId: string, contactIds: string[]): Promise<void> {
    if (contactIds.length === 0) return;
    await this.records.transaction((manager) =>
      manager.query(
        `UPDATE contacts SET children_fetched_at = now()
         WHERE location_id = $1 AND id = ANY($2::varchar[])`,
        [locationId, contactIds],
      ),
    );
    for (const contactId of contactIds) {
      await this.enqueuer.syncContact(
        { locationId, contactId, cause: 'location-sync' },
        JobPriority.Reconciliation,
      );
    }
  }

  /** Oldest first; never fetched (NULL) before all. Sorted per location, without an index. */
  private dueContacts(locationId: string): Promise<{ id: string; version: Date }[]> {
    return this.records.transaction((manager) =>
      manager.query(
        `SELECT id, source_version_at AS version FROM contacts
         WHERE location_id = $1 AND deleted_at IS NULL
           AND (children_fetched_at IS NULL
                OR children_fetched_at < now() - make_interval(days => $2))
         ORDER BY children_fetched_at NULLS FIRST, id
         LIMIT $3`,
        [locationId, this.config.CHILDREN_REFRESH_DAYS, CHILDREN_REFRESHED_PER_SWEEP],
      ),
    );
  }

  /** The batch's children and, in the same transaction, an event per contact they changed. */
  private async write(
    locationId: string,
    fetched: (FetchedChildren | null)[],
    listedAt: Date,
  ): Promise<ChildrenRefreshResult> {
    const batch = fetched.filter((item): item is FetchedChildren => item !== null);
    if (batch.length === 0) {
      return { contacts: 0, tasks: 0, notes: 0, appointments: 0, tombstoned: 0 };
    }

    const { counts } = await this.records.transaction(async (manager) => {
      const written = await this.records.writeChildBatch(
        manager,
        locationId,
        batch,
        REFRESHED_KINDS,
        listedAt,
      );
      const events = [...written.byContact].map(([contactId, changed]) =>
        refreshEvent(locationId, contactId, changed),
      );
      await this.records.addOutboxEvents(manager, events);

      return written;
    });

    return { contacts: batch.length, ...counts };
  }
}

function refreshEvent(locationId: string, contactId: string, changed: ChildCounts) {
  return buildSyncCompletedEvent({
    locationId,
    scope: 'contact',
    contactId,
    trigger: 'location-sync',
    syncRunId: null,
    counts: changed,
  });
}
