import { Connection } from '@sm/entities';
import { eventually } from '@sm/testing';

import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';
import { FULL_SCOPES } from './support/ghl-stand-in';
import { useSyncWorkerStack } from './support/sync-worker-stack';

const LOCATION = 'SMphonesAndTimes01';

/**
 * Phones and appointment times in the shapes GHL may send them, from the sandbox through a
 * contact sync job to the stored rows, the location in America/Denver.
 */
describe('phones and times as GHL sends them', () => {
  const stack = useSyncWorkerStack({
    name: 'phones-times',
    serviceToken: 'phones-and-times-service-token-0123',
    ghl: { locations: { [LOCATION]: 2 }, scopes: FULL_SCOPES },
    connections: { locations: [LOCATION], scopes: FULL_SCOPES.split(' ') },
    env: { CONTACT_SYNC_COALESCE_MS: '0', TASK_SWEEP_CRON: '0 0 1 1 *' },
  });

  const change = async (body: Record<string, unknown>) =>
    (await stack.sandbox.change(LOCATION, body)).record;
  const createContact = (fields: Record<string, unknown>) =>
    change({ kind: 'contact.create', fields });
  const succeededRuns = async (contactId: string): Promise<number> => {
    const [{ runs }] = await stack.dataSource.query(
      `SELECT count(*)::int AS runs FROM sync_runs
       WHERE location_id = $1 AND contact_id = $2 AND status = 'succeeded'`,
      [LOCATION, contactId],
    );

    return runs;
  };
  /** Queues a contact sync, as a webhook would, and waits for its run to succeed. */
  const syncContact = async (contactId: string) => {
    const before = await succeededRuns(contactId);
    await stack.app
      .get(JobEnqueuer)
      .syncContact({ locationId: LOCATION, contactId, cause: 'manual' });
    await eventually(
      async () => ((await succeededRuns(contactId)) > before ? true : undefined),
      20_000,
      `contact ${contactId} synced`,
    );
  };
  const storedPhone = async (contactId: string) => {
    const [row] = await stack.dataSource.query(
      'SELECT phone, phone_extension FROM contacts WHERE location_id = $1 AND id = $2',
      [LOCATION, contactId],
    );

    return row;
  };

  beforeAll(async () => {
    // The sandbox's locations are in America/Denver, as GHL would tell the auth service.
    await stack.dataSource
      .getRepository(Connection)
      .update({ locationId: LOCATION }, { timezone: 'America/Denver' });
  });

  it.each([
    ['an extension', '+1 (303) 555-0142 ext. 89', { phone: '+13035550142', phone_extension: '89' }],
    [
      'an RFC 3966 extension',
      '+13035550142;ext=5',
      { phone: '+13035550142', phone_extension: '5' },
    ],
    ['a JSON number', 13035550142, { phone: '+13035550142', phone_extension: null }],
    ['blank', '   ', { phone: null, phone_extension: null }],
  ])('stores a phone given as %s', async (_, phone, stored) => {
    const contact = await createContact({ phone, country: 'US' });

    await syncContact(contact.id);

    expect(await storedPhone(contact.id)).toEqual(stored);
  });

  it('clears the extension when GHL later answers the phone without one', async () => {
    const contact = await createContact({ phone: '+1 303 555 0142 x12', country: 'US' });
    await syncContact(contact.id);
    const withExtension = await storedPhone(contact.id);

    await change({
      kind: 'contact.update',
      contactId: contact.id,
      fields: { phone: '3035550142' },
    });
    await syncContact(contact.id);

    expect([withExtension, await storedPhone(contact.id)]).toEqual([
      { phone: '+13035550142', phone_extension: '12' },
      { phone: '+13035550142', phone_extension: null },
    ]);
  });

  it('stores appointment times as instants in the location zone, unreadable as null', async () => {
    const contact = await createContact({ phone: '+13035550199', country: 'US' });
    const times = {
      epoch: { startTime: 1772384400000, endTime: 'soon' },
      fraction: { startTime: '2026-03-01T10:00:00.123456', endTime: '2026/03/01 11:00' },
      impossible: { startTime: '2026-02-30 10:00:00', endTime: '2026-03-01 24:00:00' },
      overlap: { startTime: '2026-11-01 01:30:00', endTime: '2026-11-01T02:30:00-07:00' },
    };
    const ids: Record<string, string> = {};
    for (const [name, fields] of Object.entries(times)) {
      const appointment = await change({
        kind: 'appointment.create',
        contactId: contact.id,
        fields,
      });
      ids[appointment.id] = name;
    }

    await syncContact(contact.id);

    const rows: { id: string; start_time: Date | null; end_time: Date | null }[] =
      await stack.dataSource.query(
        `SELECT id, start_time, end_time FROM contact_appointments
         WHERE location_id = $1 AND contact_id = $2`,
        [LOCATION, contact.id],
      );
    const stored = Object.fromEntries(
      rows.map((row) => [
        ids[row.id],
        [row.start_time?.toISOString() ?? null, row.end_time?.toISOString() ?? null],
      ]),
    );
    expect(stored).toEqual({
      epoch: ['2026-03-01T17:00:00.000Z', null],
      fraction: ['2026-03-01T17:00:00.123Z', '2026-03-01T18:00:00.000Z'],
      impossible: [null, '2026-03-02T07:00:00.000Z'],
      overlap: ['2026-11-01T07:30:00.000Z', '2026-11-01T09:30:00.000Z'],
    });
  });
});
