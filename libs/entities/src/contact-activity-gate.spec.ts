import { useScratchDatabase } from '../test/scratch-database';

const LOCATION = 'SMactivityGate000001';

describe('the contact activity trigger on updates', () => {
  const scratch = useScratchDatabase('gate');

  const kinds = async (contactId: string): Promise<string[]> =>
    (
      await scratch.db.query(
        'SELECT kind FROM contact_activity WHERE location_id = $1 AND contact_id = $2 ORDER BY id',
        [LOCATION, contactId],
      )
    ).map((row: { kind: string }) => row.kind);

  async function insertContact(contactId: string): Promise<void> {
    await scratch.db.query(
      `INSERT INTO contacts (location_id, id, tags, dnd, source_version_at, first_version_at,
                             synced_at)
       VALUES ($1, $2, ARRAY['solar'], false, '2025-01-01', '2025-01-01', '2025-01-01')`,
      [LOCATION, contactId],
    );
  }

  it('records nothing when only columns it does not watch change', async () => {
    await insertContact('gateQuiet');

    await scratch.db.query(
      `UPDATE contacts SET children_version_at = now(), city = 'Denver',
              source_version_at = '2025-02-01'
       WHERE location_id = $1 AND id = $2`,
      [LOCATION, 'gateQuiet'],
    );

    expect(await kinds('gateQuiet')).toEqual([]);
  });

  it('still records tags, DND, deletes and restores', async () => {
    await insertContact('gateLoud');
    const update = (set: string) =>
      scratch.db.query(`UPDATE contacts SET ${set} WHERE location_id = $1 AND id = $2`, [
        LOCATION,
        'gateLoud',
      ]);

    await update(`tags = ARRAY['solar', 'hot'], source_version_at = '2025-02-01'`);
    await update(`dnd = true, source_version_at = '2025-02-02'`);
    await update(`deleted_at = '2025-02-03'`);
    await update(`deleted_at = NULL, source_version_at = '2025-02-04'`);

    expect(await kinds('gateLoud')).toEqual([
      'contact.tags-added',
      'contact.dnd-on',
      'contact.deleted',
      'contact.restored',
    ]);
  });
});
