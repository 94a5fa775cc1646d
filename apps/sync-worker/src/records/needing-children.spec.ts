import { needingChildren, StoredMark } from './needing-children';

const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 12, minute));
const none = { all: false, alsoIds: [] };

describe('needingChildren', () => {
  it('needs a contact not stored, at its listed version', () => {
    expect(needingChildren([{ id: 'c1', version: at(5) }], [], none)).toEqual([
      { id: 'c1', version: at(5) },
    ]);
  });

  it('leaves out a contact whose mark is at the version the write keeps', () => {
    const stored: StoredMark[] = [
      { id: 'same', version: at(5), marked: at(5) },
      { id: 'newer-stored', version: at(9), marked: at(9) },
    ];
    const listed = [
      { id: 'same', version: at(5) },
      { id: 'newer-stored', version: at(5) },
    ];

    expect(needingChildren(listed, stored, none)).toEqual([]);
  });

  it('needs a contact changed since its mark, at the newer of the two versions', () => {
    const stored: StoredMark[] = [
      { id: 'listed-newer', version: at(5), marked: at(5) },
      { id: 'stored-newer', version: at(9), marked: at(5) },
    ];
    const listed = [
      { id: 'listed-newer', version: at(7) },
      { id: 'stored-newer', version: at(6) },
    ];

    expect(needingChildren(listed, stored, none)).toEqual([
      { id: 'listed-newer', version: at(7) },
      { id: 'stored-newer', version: at(9) },
    ]);
  });

  it('needs a contact never marked, or tombstoned (its mark cleared)', () => {
    const stored: StoredMark[] = [{ id: 'c1', version: at(5), marked: null }];

    expect(needingChildren([{ id: 'c1', version: at(5) }], stored, none)).toEqual([
      { id: 'c1', version: at(5) },
    ]);
  });

  it('needs a marked contact that had an event, or every one when all are asked for', () => {
    const stored: StoredMark[] = [
      { id: 'c1', version: at(5), marked: at(5) },
      { id: 'c2', version: at(5), marked: at(5) },
    ];
    const listed = [
      { id: 'c1', version: at(5) },
      { id: 'c2', version: at(5) },
    ];

    expect(needingChildren(listed, stored, { all: false, alsoIds: ['c2'] })).toEqual([
      { id: 'c2', version: at(5) },
    ]);
    expect(needingChildren(listed, stored, { all: true, alsoIds: [] })).toHaveLength(2);
  });
});
