import { SyncRun } from '@sm/entities';
import { JobName } from '@sm/queues';
import { SYNC_COMPLETED } from '@sm/sync-events';
import { eventually } from '@sm/testing';

import { CHILDREN_REFRESHED_PER_SWEEP } from '../src/children-refresh/children-refresh.service';
import { expectRecordsEqualSandbox } from './support/ghl-records';
import { useLocationRunStack } from './support/location-run-stack';

const LOCATION = 'SMchildrenRefresh001';
/** More than one sweep refreshes, so that the share and its order show. */
const CONTACTS = CHILDREN_REFRESHED_PER_SWEEP + 50;
const SERVICE_TOKEN = 'children-refresh-service-token-01234';

/**
 * A nightly run fetches children only of contacts that changed or had an event. A note or an
 * appointment change whose webhook GHL never delivered is read again by the sweeps once the
 * contact's children are older than CHILDREN_REFRESH_DAYS, a share of the contacts at a time.
 */
describe('children refresh: notes and appointments read again by the sweeps', () => {
  const { stack, run } = useLocationRunStack({
    name: 'children-refresh',
    serviceToken: SERVICE_TOKEN,
    locationId: LOCATION,
    contacts: CONTACTS,
    env: { CHILDREN_REFRESH_DAYS: '30' },
  });
  const exportSandbox = () => stack.sandbox.export(LOCATION);
  const sweep = () => run(JobName.SweepTasks, {});
  /** The contacts whose children were fetched at least 31 days ago. */
  const ageChildren = (where = 'true') =>
    stack.dataSource.query(
      `UPDATE contacts SET children_fetched_at = now() - interval '31 days'
       WHERE location_id = $1 AND ${where}`,
      [LOCATION],
    );
  const refreshedWithin = async (seconds: number): Promise<string[]> => {
    const rows: { id: string }[] = await stack.dataSource.query(
      `SELECT id FROM contacts WHERE location_id = $1
         AND children_fetched_at > now() - make_interval(secs => $2) ORDER BY id`,
      [LOCATION, seconds],
    );

    return rows.map((row) => row.id);
  };
  let unheardNote: string;
  let unheardCancel: string;

  it('leaves children fetched less than the refresh period ago alone', async () => {
    await run(JobName.SyncLocation, { trigger: 'install' });
    const [first, second] = (await exportSandbox()).contacts;
    // Changes in GHL whose webhooks never arrive (none is delivered here).
    const note = await stack.sandbox.change(LOCATION, {
      kind: 'note.create',
      contactId: first.id,
      fields: { body: 'a note whose webhook was lost' },
    });
    unheardNote = note.record.id;
    const appointment = await stack.sandbox.change(LOCATION, {
      kind: 'appointment.update',
      contactId: second.id,
      fields: { appointmentStatus: 'cancelled' },
    });
    unheardCancel = appointment.record.id;

    const swept = await sweep();

    expect(swept.counts.notes).toBe(0);
    const stored = await stack.dataSource.query('SELECT id FROM contact_notes WHERE id = $1', [
      unheardNote,
    ]);
    expect(stored).toEqual([]);
  });

  it('reads them again once older, a share a sweep, the oldest first', async () => {
    await ageChildren();
    // The two changed contacts are the oldest of all, so the first share takes them.
    await stack.dataSource.query(
      `UPDATE contacts SET children_fetched_at = now() - interval '40 days'
       WHERE location_id = $1 AND id IN (
         SELECT contact_id FROM contact_notes WHERE id = $2
         UNION SELECT contact_id FROM contact_appointments WHERE id = $3)`,
      [LOCATION, unheardNote, unheardCancel],
    );

    const swept = await sweep();

    expect(swept.ghlCalls).toBeGreaterThanOrEqual(2 * CHILDREN_REFRESHED_PER_SWEEP);
    expect(await refreshedWithin(60)).toHaveLength(CHILDREN_REFRESHED_PER_SWEEP);
    const [note] = await stack.dataSource.query(
      'SELECT body, deleted_at FROM contact_notes WHERE id = $1',
      [unheardNote],
    );
    expect(note).toEqual({ body: 'a note whose webhook was lost', deleted_at: null });
    const [appointment] = await stack.dataSource.query(
      'SELECT status FROM contact_appointments WHERE id = $1',
      [unheardCancel],
    );
    expect(appointment.status).toBe('cancelled');
    expect(swept.counts.notes).toBeGreaterThanOrEqual(1);
  });

  it('announces each contact it changed, in the write', async () => {
    const rows: { contact_id: string }[] = await stack.dataSource.query(
      `SELECT payload->>'contactId' AS contact_id FROM outbox_events
       WHERE location_id = $1 AND event_type = $2 AND payload->>'scope' = 'contact'
         AND (payload->'counts'->>'notes')::int + (payload->'counts'->>'appointments')::int > 0`,
      [LOCATION, SYNC_COMPLETED],
    );
    const changed: { contact_id: string }[] = await stack.dataSource.query(
      `SELECT contact_id FROM contact_notes WHERE id = $1
       UNION SELECT contact_id FROM contact_appointments WHERE id = $2`,
      [unheardNote, unheardCancel],
    );

    expect(rows.map((row) => row.contact_id).sort()).toEqual(
      changed.map((row) => row.contact_id).sort(),
    );
  });

  it('takes the rest with the next sweep, and then Postgres equals GHL', async () => {
    const before = new Set(await refreshedWithin(600));

    await sweep();

    const after = await refreshedWithin(600);
    expect(after).toHaveLength(CONTACTS);
    expect(after.filter((id) => !before.has(id))).toHaveLength(CONTACTS - before.size);
    await expectRecordsEqualSandbox(stack.dataSource, LOCATION, await exportSandbox());
    const sweeps = await stack.dataSource
      .getRepository(SyncRun)
      .findBy({ locationId: LOCATION, trigger: 'task-sweep' });
    expect(sweeps).toHaveLength(3);
  });

  it('moves past contacts GHL no longer has, and has each synced on its own', async () => {
    await ageChildren();
    const gone = (await exportSandbox()).contacts.slice(0, 5).map((contact) => contact.id);
    // Deleted in GHL, their webhooks lost, and the oldest of all: first in the sweep's line.
    for (const contactId of gone) {
      await stack.sandbox.change(LOCATION, { kind: 'contact.delete', contactId });
    }
    await stack.dataSource.query(
      `UPDATE contacts SET children_fetched_at = now() - interval '40 days'
       WHERE location_id = $1 AND id = ANY($2::varchar[])`,
      [LOCATION, gone],
    );

    await sweep();

    const refreshed = new Set(await refreshedWithin(60));
    expect(gone.filter((id) => refreshed.has(id))).toEqual(gone);
    const tombstoned = await eventually(
      async () => {
        const rows: { id: string }[] = await stack.dataSource.query(
          `SELECT id FROM contacts
           WHERE location_id = $1 AND id = ANY($2::varchar[]) AND deleted_at IS NOT NULL`,
          [LOCATION, gone],
        );

        return rows.length === gone.length ? rows : undefined;
      },
      30_000,
      'the contacts gone from GHL tombstoned by their own syncs',
    );
    expect(tombstoned).toHaveLength(gone.length);
  });
});
