import { storableJson } from '@sm/platform';

import type { RecordRow } from './record-mappers';

/**
 * Rows as the JSON text of an array of objects, each with `columns`, for
 * `jsonb_populate_recordset`. Absent and null values are left out, which the function reads as
 * NULL: a first sync's rows are about a third null, and each was a key, a value and a field for
 * Postgres to parse. Dates become ISO 8601 in UTC, which `timestamptz` reads
 * to the millisecond; arrays and objects stay JSON, which Postgres turns into `text[]` and
 * `jsonb` by the column's type.
 *
 * Postgres' text can hold neither NUL nor half of a surrogate pair, and refuses JSON that
 * carries either, which would fail the whole statement over one character of one GHL record.
 * Both are stored as U+FFFD, the replacement character ({@link storableJson}), as the client's
 * UTF-8 encoding already stored a lone surrogate sent as a plain parameter.
 */
export function rowsAsJson(rows: RecordRow[], columns: readonly string[]): string {
  const shape = rowShaperOf(columns);
  const objects = rows.map((row) => shape(row, jsonValue));

  return storableJson(JSON.stringify(objects));
}

/**
 * A column's value as it goes into the JSON: a Date as a string (its toJSON call would take
 * JSON.stringify off its fast path), null as undefined, which JSON.stringify leaves out while
 * the key stays, so that every object of a table keeps one shape.
 */
function jsonValue(value: unknown): unknown {
  return value instanceof Date ? postgresTime(value) : (value ?? undefined);
}

type RowShaper = (row: RecordRow, value: (value: unknown) => unknown) => RecordRow;

const rowShapers = new WeakMap<readonly string[], RowShaper>();
/** A column name as the worker's tables spell them: only these are written into a shaper. */
const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * A function returning one object literal with `columns` as its keys, each read from the row by
 * name (`{ "id": value(row["id"]), … }`), made once per table. Every object then has one hidden
 * class from the start and every column one monomorphic read: with a loop copying column by
 * column, building and stringifying a 1,000-row statement of contacts took two to three times as
 * long (a bench of 60,000 rows), 6 % of the worker's CPU in the 10k sync. The names are the
 * worker's own column names, checked, never data from GHL.
 */
function rowShaperOf(columns: readonly string[]): RowShaper {
  const known = rowShapers.get(columns);
  if (known) return known;

  const invalid = columns.find((column) => !COLUMN_NAME.test(column));
  if (invalid !== undefined) throw new Error(`not a column name: ${JSON.stringify(invalid)}`);
  const fields = columns.map((column) => `"${column}": value(row["${column}"])`);
  const shaper = new Function('row', 'value', `return { ${fields.join(', ')} };`) as RowShaper;
  rowShapers.set(columns, shaper);

  return shaper;
}

/**
 * A time as Postgres reads a `timestamptz`: ISO 8601 in UTC for the years 1 to 9999, else the
 * year in full and, before year 1, `BC` (ISO's year 0 is 1 BC): Postgres refuses ISO's `0000`,
 * `-000001` and `+010000`. An invalid Date (toISOString would throw) is null, as JSON.stringify
 * writes it.
 */
function postgresTime(date: Date): string | null {
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  if (year >= 1000 && year <= 9999) return isoOfFourDigitYear(date, year);
  if (year >= 1 && year <= 9999) return date.toISOString();

  const isBc = year < 1;
  const shownYear = String(isBc ? 1 - year : year).padStart(4, '0');
  const rest = date
    .toISOString()
    .replace(/^[+-]?\d+/, '')
    .replace('Z', '+00:00');

  return `${shownYear}${rest}${isBc ? ' BC' : ''}`;
}

/** Two and three digits of every number they can hold, zero-padded. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, value) => String(value).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1_000 }, (_, value) => String(value).padStart(3, '0'));

/**
 * What `toISOString` writes for a year of four digits, built from the UTC fields: a 10k sync
 * writes about 250,000 times, and V8's `toISOString` (a runtime call) took three to four times
 * as long, 3 % of the worker's CPU in the sync bench.
 */
function isoOfFourDigitYear(date: Date, year: number): string {
  const day = `${year}-${TWO_DIGITS[date.getUTCMonth() + 1]}-${TWO_DIGITS[date.getUTCDate()]}`;
  const time =
    `${TWO_DIGITS[date.getUTCHours()]}:${TWO_DIGITS[date.getUTCMinutes()]}:` +
    `${TWO_DIGITS[date.getUTCSeconds()]}.${THREE_DIGITS[date.getUTCMilliseconds()]}`;

  return `${day}T${time}Z`;
}
