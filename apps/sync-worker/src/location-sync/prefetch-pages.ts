/**
 * Walks `pages` one page ahead: the next page is asked for as soon as the current one is handed
 * out, so that listing overlaps with the caller's work on it. At most one page waits unread.
 */
export async function* prefetchPages<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      // Handled here so that a failure while the caller works is not an unhandled rejection;
      // the next `await next` still throws it.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    // A caller that stops early (or fails) closes the source once its last request settled.
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}
