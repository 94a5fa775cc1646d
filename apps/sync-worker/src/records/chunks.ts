/** Consecutive slices of `items` of at most `size` each, in order. */
export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
