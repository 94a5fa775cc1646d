import { prefetchPages } from './prefetch-pages';

/** Pages 1…count; records when each was asked for, and whether the walk was closed. */
function pages(count: number, options: { failAt?: number } = {}) {
  const asked: number[] = [];
  const state = { closed: false };
  async function* source() {
    try {
      for (let page = 1; page <= count; page++) {
        asked.push(page);
        await new Promise((resolve) => setImmediate(resolve));
        if (page === options.failAt) throw new Error(`page ${page} failed`);
        yield page;
      }
    } finally {
      state.closed = true;
    }
  }

  return { source: source(), asked, state };
}

describe('prefetchPages', () => {
  it('asks for the next page while the caller still works on the current one', async () => {
    const walk = pages(3);
    const askedWhileWorking: number[][] = [];

    for await (const page of prefetchPages(walk.source)) {
      await new Promise((resolve) => setImmediate(resolve));
      askedWhileWorking.push([page, ...walk.asked]);
    }

    expect(askedWhileWorking).toEqual([
      [1, 1, 2],
      [2, 1, 2, 3],
      [3, 1, 2, 3],
    ]);
  });

  it('throws a failed page to the caller at its next read, after the pages before it', async () => {
    const walk = pages(3, { failAt: 2 });
    const read: number[] = [];

    const reading = (async () => {
      for await (const page of prefetchPages(walk.source)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        read.push(page);
      }
    })();

    await expect(reading).rejects.toThrow('page 2 failed');
    expect(read).toEqual([1]);
  });

  it('closes the source when the caller stops early', async () => {
    const walk = pages(5);

    for await (const page of prefetchPages(walk.source)) {
      if (page === 2) break;
    }

    expect(walk.state.closed).toBe(true);
    expect(walk.asked).toEqual([1, 2, 3]);
  });
});
