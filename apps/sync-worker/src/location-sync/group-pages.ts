/**
 * Joins consecutive pages until they hold at least `atLeast` items (the last group may hold
 * fewer), so that a caller writes a few large batches rather than many small ones. Empty pages
 * add nothing and end no group.
 */
export async function* groupPages<T>(
  pages: AsyncIterable<T[]>,
  atLeast: number,
): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const page of pages) {
    group = group.concat(page);
    if (group.length < atLeast) continue;

    yield group;
    group = [];
  }
  if (group.length > 0) yield group;
}
