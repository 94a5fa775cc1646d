import { groupPages } from './group-pages';

async function* pagesOf(...pages: number[][]): AsyncGenerator<number[]> {
  for (const page of pages) yield page;
}

async function collect(pages: AsyncIterable<number[]>): Promise<number[][]> {
  const groups: number[][] = [];
  for await (const group of pages) groups.push(group);

  return groups;
}

describe('grouping listed pages', () => {
  it('joins pages in order until a group holds enough, the rest last', async () => {
    const pages = pagesOf([1, 2], [3], [], [4, 5, 6], [7]);

    expect(await collect(groupPages(pages, 3))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('hands out nothing for no pages or only empty ones', async () => {
    expect(await collect(groupPages(pagesOf(), 3))).toEqual([]);
    expect(await collect(groupPages(pagesOf([], []), 3))).toEqual([]);
  });

  it('passes a listing failure on after the groups before it', async () => {
    async function* failing(): AsyncGenerator<number[]> {
      yield [1, 2, 3];
      throw new Error('GHL answered 500');
    }
    const seen: number[][] = [];

    const walk = (async () => {
      for await (const group of groupPages(failing(), 3)) seen.push(group);
    })();

    await expect(walk).rejects.toThrow('GHL answered 500');
    expect(seen).toEqual([[1, 2, 3]]);
  });
});
