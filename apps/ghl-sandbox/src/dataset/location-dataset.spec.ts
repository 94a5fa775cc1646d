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
});
