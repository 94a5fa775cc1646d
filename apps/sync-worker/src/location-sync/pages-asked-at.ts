/** An item of a listed page, with when that page was asked for. */
export interface AskedItem<T> {
  item: T;
  askedAt: Date;
}

/**
 * Each page's items with the time the page was asked for: taken before the request, so never
 * later than the moment GHL served what the page says. Pages are listed ahead and a batch is
 * written only once its last page came, so a contact stamped when its batch was written could
 * look fetched after a delete stored in between (from a webhook), and the upsert brought it back
 * to life until the next run.
 */
export async function* pagesAskedAt<T>(pages: AsyncIterable<T[]>): AsyncGenerator<AskedItem<T>[]> {
  const iterator = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const askedAt = new Date();
      const page = await iterator.next();
      if (page.done) return;

      yield page.value.map((item) => ({ item, askedAt }));
    }
  } finally {
    await iterator.return?.();
  }
}
