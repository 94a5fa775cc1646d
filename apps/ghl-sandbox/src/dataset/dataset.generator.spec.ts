import { generateLocation } from './dataset.generator';

describe('the seeded dataset', () => {
  it('gives each task, note and appointment of a location an id of its own, as GHL does', () => {
    // The sync benchmark's large location: before child ids were derived from their contact,
    // two of its contacts shared a note id, because the seeds' random streams overlap.
    const dataset = generateLocation(
      42,
      { locationId: 'SMbenchSync50k000001', contacts: 50_000 },
      'c',
      0,
    );
    const ids = new Set<string>();
    let children = 0;

    for (const contactId of dataset.contacts.keys()) {
      const { tasks, notes, appointments } = dataset.childrenOf(contactId);
      for (const child of [...tasks, ...notes, ...appointments]) {
        ids.add(child.id);
        children += 1;
        expect(child.id).toMatch(/^[A-Za-z0-9]{20}$/);
      }
    }

    expect(children).toBe(224_829);
    expect(ids.size).toBe(children);
  });
});
