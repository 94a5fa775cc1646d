import { nextContactCursor, sameCursor } from './contact-cursor';

describe('nextContactCursor', () => {
  it("takes the last contact's id and dateAdded in epoch ms", () => {
    const page = {
      contacts: [
        { id: 'a', dateAdded: '2024-01-01T00:00:00.000Z' },
        { id: 'b', dateAdded: '2024-01-02T00:00:00.000Z' },
      ],
    };

    expect(nextContactCursor(page)).toEqual({
      startAfterId: 'b',
      startAfter: Date.parse('2024-01-02T00:00:00.000Z'),
    });
  });

  it('prefers the meta cursor when the answer has one', () => {
    const page = {
      contacts: [{ id: 'b', dateAdded: '2024-01-02T00:00:00.000Z' }],
      meta: { startAfterId: 'z', startAfter: 1703317476704 },
    };

    expect(nextContactCursor(page)).toEqual({ startAfterId: 'z', startAfter: 1703317476704 });
  });

  it('has no cursor when meta has none, or the last contact lacks an id or a date', () => {
    expect(
      nextContactCursor({ contacts: [{ id: 'b', dateAdded: 'x' }], meta: {} }),
    ).toBeUndefined();
    expect(
      nextContactCursor({ contacts: [{ dateAdded: '2024-01-02T00:00:00Z' }] }),
    ).toBeUndefined();
    expect(nextContactCursor({ contacts: [{ id: 'b', dateAdded: null }] })).toBeUndefined();
    expect(nextContactCursor({ contacts: [] })).toBeUndefined();
  });

  it('compares cursors by value', () => {
    expect(
      sameCursor({ startAfterId: 'a', startAfter: 1 }, { startAfterId: 'a', startAfter: 1 }),
    ).toBe(true);
    expect(sameCursor({ startAfterId: 'a', startAfter: 1 }, undefined)).toBe(false);
  });
});
