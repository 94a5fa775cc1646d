// Local copies: a global lookup per call is slow where the code runs in a vm context (jest).
const { floor, imul } = Math;

export const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** FNV-1a over a string: turns a location id into a seed component. */
export function hashString(value: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = imul(hash, 0x01000193);
  }

  return hash >>> 0;
}

/**
 * A small deterministic generator (mulberry32): the same seed always yields the same dataset,
 * which is what lets tests compare the product's records with the sandbox's field by field.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = imul(value ^ (value >>> 15), value | 1);
    value ^= value + imul(value ^ (value >>> 7), value | 61);

    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[floor(this.next() * items.length)];
  }

  /** Up to `count` distinct items, in the pool's order. */
  some<T>(items: readonly T[], count: number): T[] {
    return items.filter(() => this.next() < count / items.length).slice(0, count);
  }

  /** A GHL-looking id: 20 characters of [A-Za-z0-9]. */
  id(): string {
    let id = '';
    for (let index = 0; index < 20; index++) id += ID_ALPHABET[floor(this.next() * 62)];

    return id;
  }

  digits(count: number): string {
    let digits = '';
    for (let index = 0; index < count; index++) digits += floor(this.next() * 10);

    return digits;
  }
}
