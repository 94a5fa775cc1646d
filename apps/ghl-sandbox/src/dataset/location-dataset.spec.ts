import { generateLocation } from './dataset.generator';

describe("a location's seeded children", () => {
  const dataset = generateLocation(7, { locationId: 'locDatasetSpec01', contacts: 200 }, 'c', 0);
  const withTasks = [...dataset.contacts.keys()].filter(
    (contactId) => dataset.childrenOf(contactId).tasks.length > 0,
  );

  it('are generated once and served frozen while nothing changes them', () => {
    const [contactId] = withTasks;

    const first = dataset.childrenOf(contactId);
    const second = dataset.childrenOf(contactId);

    expect(second).toBe(first);
    expect(Object.isFrozen(first.tasks)).toBe(true);
    expect(() => (first.tasks as unknown[]).push({})).toThrow(TypeError);
  });

  it('leave a list read before a change as it was, and serve the change after it', () => {
    const [, contactId] = withTasks;
    const before = dataset.childrenOf(contactId).tasks;
    const title = before[0].title;

    dataset.mutableChildrenOf(contactId).tasks[0].title = 'Confirm the permit date';
    const after = dataset.childrenOf(contactId).tasks;

    expect(before[0].title).toBe(title);
    expect(after[0].title).toBe('Confirm the permit date');
    expect(Object.isFrozen(after)).toBe(false);
  });

  it('are the same when generated again after being forgotten', () => {
    const many = generateLocation(7, { locationId: 'locDatasetSpec01', contacts: 20_000 }, 'c', 0);
    const [firstId] = many.contacts.keys();
    const original = many.childrenOf(firstId);
    const first = structuredClone(original);

    for (const contactId of many.contacts.keys()) many.childrenOf(contactId);
    const again = many.childrenOf(firstId);

    expect(again).not.toBe(original);
    expect(again).toEqual(first);
  });

  it('are made from the contact as seeded, whatever changed it and was read since', () => {
    const many = generateLocation(7, { locationId: 'locDatasetSpec02', contacts: 20_000 }, 'c', 0);
    const contactId = [...many.contacts.keys()].find(
      (id) => many.childrenOf(id).appointments.length > 0,
    ) as string;
    const seeded = structuredClone(many.childrenOf(contactId));

    // As PUT /contacts/:id does: the stored contact changes in place.
    Object.assign(many.contacts.get(contactId) as object, {
      name: 'Grace Hopper',
      address1: '1 Harbor Way',
      city: 'Arlington',
      assignedTo: 'someoneElse',
    });
    const afterChange = structuredClone(many.childrenOf(contactId));
    for (const id of many.contacts.keys()) if (id !== contactId) many.childrenOf(id);
    const afterOthers = many.childrenOf(contactId);

    expect(afterChange).toEqual(seeded);
    expect(afterOthers).toEqual(seeded);
  });
});
