import { pagesAskedAt } from './pages-asked-at';

/** Two pages, each answered 20 ms after it was asked for; records both times of each. */
function slowPages() {
  const times: { asked: number; answered: number }[] = [];
  const state = { closed: false };
  async function* source() {
    try {
      for (const page of [['a', 'b'], ['c']]) {
        const asked = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 20));
        times.push({ asked, answered: Date.now() });
        yield page;
      }
    } finally {
      state.closed = true;
    }
  }

  return { source: source(), times, state };
}

describe('pagesAskedAt', () => {
  it("stamps each page's items with a time from before the page was answered", async () => {
    const walk = slowPages();
    const stamped: { item: string; askedAt: number }[][] = [];

    for await (const page of pagesAskedAt(walk.source)) {
      await new Promise((resolve) => setTimeout(resolve, 10)); // the batch waits to be written
      stamped.push(page.map(({ item, askedAt }) => ({ item, askedAt: askedAt.getTime() })));
    }

    expect(stamped.map((page) => page.map(({ item }) => item))).toEqual([['a', 'b'], ['c']]);
    stamped.forEach((page, index) => {
      for (const { askedAt } of page) {
        expect(askedAt).toBeLessThanOrEqual(walk.times[index].asked);
        expect(askedAt).toBeLessThan(walk.times[index].answered);
      }
    });
    expect(stamped[1][0].askedAt).toBeGreaterThanOrEqual(walk.times[0].answered);
  });

  it('closes the source when the caller stops early', async () => {
    const walk = slowPages();

    for await (const page of pagesAskedAt(walk.source)) {
      expect(page).toHaveLength(2);
      break;
    }

    expect(walk.state.closed).toBe(true);
  });
});
