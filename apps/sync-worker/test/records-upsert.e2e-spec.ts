import type { DataSource, QueryRunner } from 'typeorm';

import { Contact, Task } from '@sm/entities';
import type { GhlContact } from '@sm/ghl-client';

import type { ChildRows } from '../src/records/child-records';
import {
  appointmentRow,
  contactRow,
  FetchContext,
  noteRow,
  taskRow,
} from '../src/records/record-mappers';
import type { RecordWriter } from '../src/records/record-writer.service';
import { useScratchRecords } from './support/scratch-records';

const LOCATION = 'locRecords001';

function ghlContact(overrides: Partial<GhlContact> = {}): GhlContact {
  return {
    id: 'contact-1',
    locationId: LOCATION,
    firstName: 'Ada',
    lastName: 'Sun',
    email: 'ada@example.com',
    phone: '(415) 555-2671',
    country: 'US',
    tags: ['solar', 'lead'],
    customFields: [{ id: 'roofType', value: 'tile' }],
    dateAdded: '2026-01-01T10:00:00.000Z',
    dateUpdated: '2026-02-01T10:00:00.000Z',
    ...overrides,
  };
}

const at = (iso: string): FetchContext => ({
  locationId: LOCATION,
  fetchedAt: new Date(iso),
  timeZone: 'America/New_York',
});

describe('record upserts', () => {
  const scratch = useScratchRecords();
  let dataSource: DataSource;
  let records: RecordWriter;

  beforeAll(() => {
    ({ dataSource, records } = scratch);
  });

  const contact = () =>
    dataSource.getRepository(Contact).findOneByOrFail({ locationId: LOCATION, id: 'contact-1' });
  const write = (row: ReturnType<typeof contactRow>) =>
    records.transaction((manager) => records.upsertContacts(manager, [row]));

  it('stores phones as E.164, custom fields by id and times as timestamptz', async () => {
    await write(contactRow(ghlContact(), at('2026-02-01T12:00:00Z')));

    const stored = await contact();
    expect(stored.phone).toBe('+14155552671');
    expect(stored.customFields).toEqual({ roofType: 'tile' });
    expect(stored.tags).toEqual(['solar', 'lead']);
    expect(stored.ghlDateUpdated?.toISOString()).toBe('2026-02-01T10:00:00.000Z');
    expect(stored.sourceVersionAt.toISOString()).toBe('2026-02-01T10:00:00.000Z');
  });

  it('clears what a newer version no longer has, and keeps when it was first held', async () => {
    const context = { ...at('2026-02-01T12:00:00Z'), locationId: 'locRecordsCleared' };
    const find = () =>
      dataSource
        .getRepository(Contact)
        .findOneByOrFail({ locationId: context.locationId, id: 'contact-1' });
    await write(contactRow(ghlContact(), context));

    const cleared = ghlContact({ email: undefined, customFields: [], tags: [] });
    await write(
      contactRow(
        { ...cleared, dateUpdated: '2026-03-01T10:00:00.000Z' },
        {
          ...context,
          fetchedAt: new Date('2026-03-01T12:00:00Z'),
        },
      ),
    );

    const stored = await find();
    expect([stored.email, stored.customFields, stored.tags]).toEqual([null, {}, []]);
    expect(stored.firstVersionAt?.toISOString()).toBe('2026-02-01T10:00:00.000Z');
  });

  it('stores text Postgres cannot hold (NUL, half a surrogate pair) as U+FFFD', async () => {
    const odd = ghlContact({
      id: 'contact-odd-text',
      firstName: 'Ada\u0000Lovelace',
      lastName: 'Sun\ud83d',
      tags: ['solar\u0000', 'a\\u0000b', 'pair \ud83c\udf1e'],
      customFields: [{ id: 'roofType', value: 'tile\udc00' }],
    });

    const elsewhere = { ...at('2026-02-01T12:00:00Z'), locationId: 'locRecordsText01' };

    await write(contactRow(odd, elsewhere));

    const stored = await dataSource
      .getRepository(Contact)
      .findOneByOrFail({ locationId: elsewhere.locationId, id: 'contact-odd-text' });
    expect(stored.firstName).toBe('Ada\ufffdLovelace');
    expect(stored.lastName).toBe('Sun\ufffd');
    // An escaped backslash before `u0000` is text, not an escape: it is kept as written.
    expect(stored.tags).toEqual(['solar\ufffd', 'a\\u0000b', 'pair \ud83c\udf1e']);
    expect(stored.customFields).toEqual({ roofType: 'tile\ufffd' });
  });

  it.each(['0000-01-01T00:00:00.000Z', '-000001-06-01T00:00:00.000Z', '20266-03-01'])(
    'stores a time of any year Postgres holds, as its instant, beside the rest (%s)',
    async (time) => {
      const locationId = `locRecordsYear${time.length}${time.startsWith('-') ? 'bc' : ''}`;
      const context = { ...at('2026-02-01T12:00:00Z'), locationId };
      const page = [
        ghlContact({ id: 'ordinary', dateAdded: '2026-01-01T10:00:00.000Z' }),
        ghlContact({ id: 'far-off', dateAdded: time }),
      ];

      await records.transaction((manager) =>
        records.upsertContacts(
          manager,
          page.map((contact) => contactRow(contact, context)),
        ),
      );

      const stored: { id: string; ghl_date_added: Date }[] = await dataSource.query(
        'SELECT id, ghl_date_added FROM contacts WHERE location_id = $1 ORDER BY id',
        [locationId],
      );
      expect(stored.map((row) => [row.id, row.ghl_date_added.getTime()])).toEqual([
        ['far-off', new Date(time).getTime()],
        ['ordinary', Date.parse('2026-01-01T10:00:00.000Z')],
      ]);
    },
  );

  it('never lets an older version overwrite a newer one', async () => {
    await write(
      contactRow(
        ghlContact({ dateUpdated: '2026-03-01T10:00:00.000Z', firstName: 'New' }),
        at('2026-03-01T12:00:00Z'),
      ),
    );

    const written = await write(
      contactRow(ghlContact({ firstName: 'Stale' }), at('2026-03-02T12:00:00Z')),
    );

    expect(written).toEqual([]);
    expect((await contact()).firstName).toBe('New');
  });

  it('changes nothing when the same version is written again', async () => {
    const row = contactRow(
      ghlContact({ dateUpdated: '2026-03-01T10:00:00.000Z', firstName: 'New' }),
      at('2026-03-05T12:00:00Z'),
    );
    const before = await contact();

    const written = await write(row);

    expect(written).toEqual([]);
    expect(await contact()).toEqual(before);
  });

  it('keeps the later of two fetches of one version, whichever is written last', async () => {
    const locationId = 'locRecordsTwice01';
    const version = '2026-03-01T10:00:00.000Z';
    const fetched = (id: string, firstName: string, iso: string) =>
      contactRow(ghlContact({ id, firstName, dateUpdated: version }), { ...at(iso), locationId });
    // A webhook's fetch commits first; a nightly page read before it commits after it.
    await write(fetched('contact-same-1', 'Fresh', '2026-03-01T10:05:00Z'));
    const late = await write(fetched('contact-same-1', 'Stale', '2026-03-01T10:01:00Z'));
    // The other way round, the later fetch replaces the earlier one.
    await write(fetched('contact-same-2', 'Stale', '2026-03-01T10:01:00Z'));
    const later = await write(fetched('contact-same-2', 'Fresh', '2026-03-01T10:05:00Z'));

    const stored = await dataSource.getRepository(Contact).find({
      where: { locationId },
      order: { id: 'ASC' },
    });
    expect(late).toEqual([]);
    expect(later.map((row) => row.id)).toEqual(['contact-same-2']);
    expect(stored.map((row) => [row.firstName, row.syncedAt.toISOString()])).toEqual([
      ['Fresh', '2026-03-01T10:05:00.000Z'],
      ['Fresh', '2026-03-01T10:05:00.000Z'],
    ]);
  });

  it('writes nothing for a newer fetch that says the same, yet keeps its version', async () => {
    const locationId = 'locRecordsRefetch1';
    const task = (title: string, iso: string) =>
      taskRow({ id: 'task-refetched', title, completed: false }, 'contact-1', {
        ...at(iso),
        locationId,
      });
    const writeTask = (row: ReturnType<typeof taskRow>) =>
      records.transaction((manager) => records.upsertChildren(manager, 'tasks', [row]));
    await writeTask(task('Call back', '2026-03-01T00:00:00Z'));

    const replayed = await writeTask(task('Call back', '2026-03-03T00:00:00Z'));
    // A fetch from between the two, with other content, written last.
    const older = await writeTask(task('Send a quote', '2026-03-02T00:00:00Z'));

    const stored = await dataSource
      .getRepository(Task)
      .findOneByOrFail({ locationId, id: 'task-refetched' });
    expect([replayed, older]).toEqual([[], []]);
    expect(stored.title).toBe('Call back');
    expect(stored.sourceVersionAt.toISOString()).toBe('2026-03-03T00:00:00.000Z');
  });

  it('keeps a tombstone against a late update fetched before the delete', async () => {
    await records.transaction((manager) =>
      records.tombstoneContact(manager, LOCATION, 'contact-1', new Date('2026-03-10T00:00:00Z')),
    );

    await write(
      contactRow(
        ghlContact({ dateUpdated: '2026-03-01T10:00:00.000Z' }),
        at('2026-03-09T00:00:00Z'),
      ),
    );

    expect((await contact()).deletedAt?.toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });

  it('brings a contact back when GHL shows it again after the delete', async () => {
    await write(
      contactRow(
        ghlContact({ dateUpdated: '2026-03-01T10:00:00.000Z' }),
        at('2026-03-11T00:00:00Z'),
      ),
    );

    expect((await contact()).deletedAt).toBeNull();
  });

  describe('a delete from before the last live fetch (redelivered, or its job replayed)', () => {
    const locationId = 'locRecordsRestored1';
    const deletedAt = new Date('2026-03-10T00:00:00Z');
    const newerDelete = new Date('2026-03-12T00:00:00Z');
    // GHL's own version stays from before the delete when it shows the record again.
    const fetchedAt = (iso: string) => ({ ...at(iso), locationId });

    it('leaves a contact GHL showed again after it; a newer delete still tombstones', async () => {
      const restored = ghlContact({ id: 'contact-restored', locationId });
      const tombstone = (when: Date) =>
        records.transaction((manager) =>
          records.tombstoneContact(manager, locationId, 'contact-restored', when),
        );
      const deletedAtNow = async () =>
        (
          await dataSource
            .getRepository(Contact)
            .findOneByOrFail({ locationId, id: 'contact-restored' })
        ).deletedAt?.toISOString() ?? null;
      await write(contactRow(restored, fetchedAt('2026-03-05T00:00:00Z')));
      await tombstone(deletedAt);
      await write(contactRow(restored, fetchedAt('2026-03-11T00:00:00Z')));

      const again = await tombstone(deletedAt);
      const liveAfterIt = await deletedAtNow();
      const newer = await tombstone(newerDelete);

      expect([again, liveAfterIt]).toEqual([false, null]);
      expect([newer, await deletedAtNow()]).toEqual([true, newerDelete.toISOString()]);
    });

    it('leaves a child GHL listed again after it; a newer delete still tombstones', async () => {
      const appointment = (iso: string) =>
        appointmentRow(
          { id: 'appointment-restored', title: 'Site visit', dateUpdated: '2026-03-01T10:00Z' },
          'contact-restored',
          fetchedAt(iso),
        );
      const writeAppointment = (iso: string) =>
        records.transaction((manager) =>
          records.upsertChildren(manager, 'appointments', [appointment(iso)]),
        );
      const tombstone = (when: Date) =>
        records.transaction((manager) =>
          records.tombstoneChild(
            manager,
            'appointments',
            locationId,
            'contact-restored',
            'appointment-restored',
            when,
          ),
        );
      const deletedAtNow = async () => {
        const [row]: { deleted_at: Date | null }[] = await dataSource.query(
          'SELECT deleted_at FROM contact_appointments WHERE location_id = $1 AND id = $2',
          [locationId, 'appointment-restored'],
        );

        return row.deleted_at?.toISOString() ?? null;
      };
      await writeAppointment('2026-03-05T00:00:00Z');
      await tombstone(deletedAt);
      await writeAppointment('2026-03-11T00:00:00Z');

      const again = await tombstone(deletedAt);
      const liveAfterIt = await deletedAtNow();
      const newer = await tombstone(newerDelete);

      expect([again, liveAfterIt]).toEqual([false, null]);
      expect([newer, await deletedAtNow()]).toEqual([true, newerDelete.toISOString()]);
    });

    // GHL's clock and ours drift apart, and a fetch is stamped after GHL served the row.
    it('tombstones on a delete stamped seconds before a fetch of the row it removed', async () => {
      const tombstone = (id: string, iso: string) =>
        records.transaction((manager) =>
          records.tombstoneContact(manager, locationId, id, new Date(iso)),
        );
      // GHL deletes at 12:00:01 by its clock; our fetch just before is stamped 12:00:03.
      const skewed = ghlContact({ id: 'contact-skewed', locationId, dateUpdated: '2026-03-01' });
      await write(contactRow(skewed, fetchedAt('2026-03-20T12:00:03Z')));
      // A contact sync's 404, dated from the job's start, after a nightly page stamped later.
      const waited = ghlContact({ id: 'contact-waited', locationId, dateUpdated: '2026-03-01' });
      await write(contactRow(waited, fetchedAt('2026-03-20T12:00:05Z')));

      const tombstoned = [
        await tombstone('contact-skewed', '2026-03-20T12:00:01Z'),
        await tombstone('contact-waited', '2026-03-20T12:00:00Z'),
      ];

      expect(tombstoned).toEqual([true, true]);
    });
  });

  it("writes a batch's rows in id order, the child write's lock order", async () => {
    const elsewhere = 'locRecordsLock01';
    const lockAt = (id: string, iso: string) =>
      contactRow(ghlContact({ id, locationId: elsewhere, dateUpdated: iso }), {
        ...at(iso),
        locationId: elsewhere,
      });
    await records.transaction((manager) =>
      records.upsertContacts(manager, [
        lockAt('lock-a', '2026-03-01T00:00:00Z'),
        lockAt('lock-b', '2026-03-01T00:00:00Z'),
      ]),
    );
    const shareLock = (runner: QueryRunner, id: string) =>
      runner.query('SELECT id FROM contacts WHERE location_id = $1 AND id = $2 FOR SHARE', [
        elsewhere,
        id,
      ]);
    // A child write holds lock-a and is about to take lock-b (its share locks go in id order).
    const childWrite = dataSource.createQueryRunner();
    await childWrite.startTransaction();
    await shareLock(childWrite, 'lock-a');

    // Meanwhile the next batch lists the two the other way round and upserts newer versions.
    const newer = records.transaction((manager) =>
      records.upsertContacts(manager, [
        lockAt('lock-b', '2026-03-02T00:00:00Z'),
        lockAt('lock-a', '2026-03-02T00:00:00Z'),
      ]),
    );
    const settled = Promise.allSettled([newer]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const childOutcome = await shareLock(childWrite, 'lock-b').then(
      async () => childWrite.commitTransaction().then(() => 'committed'),
      async (error: Error) => childWrite.rollbackTransaction().then(() => error.message),
    );
    await childWrite.release();
    const [upsert] = await settled;

    expect(childOutcome).toBe('committed');
    expect(upsert.status).toBe('fulfilled');
    const stored = await dataSource.getRepository(Contact).findBy({ locationId: elsewhere });
    const versions = stored.map((row) => row.sourceVersionAt.toISOString());
    expect(versions).toEqual(['2026-03-02T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
  });

  it('writes thousands of rows in one call, under the parameter limit', async () => {
    const rows = Array.from({ length: 5_000 }, (_, index) =>
      contactRow(ghlContact({ id: `bulk-${index}` }), at('2026-02-01T12:00:00Z')),
    );

    const written = await records.transaction((manager) => records.upsertContacts(manager, rows));

    expect(written).toHaveLength(5_000);
    expect(await dataSource.getRepository(Contact).countBy({ locationId: LOCATION })).toBe(5_001);
  });

  it('writes a batch longer than one jsonb value may be, in statements that fit', async () => {
    // 1,000 notes of 270,000 characters: 270 MB of JSON, over jsonb's 256 MiB.
    const body = 'n'.repeat(270_000);
    const notes = Array.from({ length: 1_000 }, (_, index) =>
      noteRow({ id: `long-${index}`, body }, 'contact-long', at('2026-02-01T12:00:00Z')),
    );

    const written = await records.transaction((manager) =>
      records.upsertChildren(manager, 'notes', notes),
    );

    expect(written).toHaveLength(1_000);
    const [stored] = await dataSource.query(
      `SELECT count(*)::int AS notes, min(length(body)) AS shortest FROM contact_notes
       WHERE location_id = $1 AND contact_id = 'contact-long'`,
      [LOCATION],
    );
    expect(stored).toEqual({ notes: 1_000, shortest: 270_000 });
  });

  it('tombstones children GHL no longer lists and keeps the first completion time', async () => {
    const open = { id: 'task-1', title: 'Call', completed: false, contactId: 'contact-1' };
    const first = at('2026-04-01T00:00:00Z');
    const listed = (rows: ChildRows, contactVersion: Date) => ({
      contactId: 'contact-1',
      rows,
      contactVersion,
    });
    await records.transaction((manager) =>
      records.writeChildren(
        manager,
        LOCATION,
        listed(
          {
            tasks: [
              taskRow(open, 'contact-1', first),
              taskRow({ ...open, id: 'task-2' }, 'contact-1', first),
            ],
            notes: [],
            appointments: [],
          },
          first.fetchedAt,
        ),
        first.fetchedAt,
      ),
    );

    const second = at('2026-04-02T00:00:00Z');
    const result = await records.transaction((manager) =>
      records.writeChildren(
        manager,
        LOCATION,
        listed(
          {
            tasks: [taskRow({ ...open, completed: true }, 'contact-1', second)],
            notes: [],
            appointments: [],
          },
          second.fetchedAt,
        ),
        second.fetchedAt,
      ),
    );

    const tasks = await dataSource
      .getRepository(Task)
      .find({ where: { locationId: LOCATION }, order: { id: 'ASC' } });
    expect(result.newlyCompletedTasks.map((task) => task.id)).toEqual(['task-1']);
    expect(
      tasks.map((task) => [task.id, task.completed, task.deletedAt?.toISOString() ?? null]),
    ).toEqual([
      ['task-1', true, null],
      ['task-2', false, '2026-04-02T00:00:00.000Z'],
    ]);
    expect(tasks[0].completedAt?.toISOString()).toBe('2026-04-02T00:00:00.000Z');
  });

  describe('children of a contact deleted while they were held', () => {
    const locationId = 'locRecordsHeld01';
    const context = { ...at('2026-05-01T00:00:00Z'), locationId };
    const notesOf = (contactId: string): Promise<{ id: string; deleted_at: Date | null }[]> =>
      dataSource.query(
        'SELECT id, deleted_at FROM contact_notes WHERE location_id = $1 AND contact_id = $2',
        [locationId, contactId],
      );

    beforeAll(async () => {
      const contacts = ['kept', 'deleted'].map((id) => contactRow(ghlContact({ id }), context));
      await records.transaction((manager) => records.upsertContacts(manager, contacts));
      await records.transaction((manager) =>
        records.tombstoneContact(manager, locationId, 'deleted', new Date('2026-05-01T00:01Z')),
      );
    });

    it('are not written, beside the children of live contacts, nor marked fetched', async () => {
      const fetched = ['kept', 'deleted'].map((contactId) => ({
        contactId,
        contactVersion: new Date('2026-02-01T10:00:00.000Z'),
        rows: {
          notes: [
            noteRow({ id: `note-of-${contactId}`, body: 'Wants a quote' }, contactId, context),
          ],
        },
      }));

      const { counts } = await records.transaction((manager) =>
        records.writeChildBatch(manager, locationId, fetched, ['notes'], context.fetchedAt),
      );

      expect(counts.notes).toBe(1);
      expect(await notesOf('kept')).toEqual([{ id: 'note-of-kept', deleted_at: null }]);
      expect(await notesOf('deleted')).toEqual([]);
      const [deleted] = await dataSource.query(
        'SELECT children_version_at FROM contacts WHERE location_id = $1 AND id = $2',
        [locationId, 'deleted'],
      );
      expect(deleted.children_version_at).toBeNull();
    });

    it('are tombstoned by the last sweep of a sync when a write never saw the delete', async () => {
      const late = noteRow({ id: 'note-written-late', body: 'Call back' }, 'deleted', context);
      await records.transaction((manager) => records.upsertChildren(manager, 'notes', [late]));
      const sweptAt = new Date('2026-05-01T00:05:00Z');

      const swept = await records.transaction((manager) =>
        records.tombstoneChildrenOfDeletedContacts(manager, locationId, sweptAt),
      );

      expect(swept).toEqual({ tombstoned: 1, byContact: new Map([['deleted', 1]]) });
      expect(await notesOf('deleted')).toEqual([{ id: 'note-written-late', deleted_at: sweptAt }]);
      expect((await notesOf('kept'))[0].deleted_at).toBeNull();
    });
  });
});
