import { z } from 'zod';

import { isGhlId } from '@sm/entities';

import { DERIVED_ENTRY_KINDS } from '../activity/activity-timeline.service';

/**
 * Opaque page cursors: the sort key of the last row of a page, as base64url JSON. Clients pass
 * them back untouched, but a cursor is client input all the same: each position is checked for
 * the exact value its SQL parameter takes, so a crafted one is a 400, never a database error.
 */
export function encodeCursor(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * What a position holds: `timestamp` an instant as `Date#toISOString` writes it, of any year
 * Postgres' timestamptz holds (the sync worker stores times before year 1 and after 9999, so a
 * page may end on one); `recordId` an id as the records hold it (what `isGhlId` lets in, any
 * character but NUL, which Postgres' text cannot hold);
 * `timelinePosition` where a timeline entry sits among those of its instant: `1:` and a stored
 * entry's row id in 19 digits, or `0`, a rank, `:`, the kind of an entry read from a record,
 * `:` and the record's id (see `ActivityTimeline`).
 */
export type CursorPosition = 'timestamp' | 'recordId' | 'timelinePosition';

/** As `toISOString` writes an instant: four-digit years, or six with a sign beyond 0-9999. */
const ISO_INSTANT = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/**
 * The first instant Postgres' timestamptz holds: 4714-11-24 BC, ISO year -4713. A Date reaches
 * back to year -271821, which Postgres refuses ("timestamp out of range"). Its last instant,
 * 294276-12-31, is later than any Date (275760-09-13), so every later Date is held.
 */
const EARLIEST_TIMESTAMPTZ_MS = Date.UTC(-4713, 10, 24);
const STORED_ENTRY = /^1:\d{19}$/;
const DERIVED_ENTRY = new RegExp(
  `^0[1-7]:(?:${DERIVED_ENTRY_KINDS.map((kind) => kind.replaceAll('.', '\\.')).join('|')}):`,
);

const isPosition: Record<CursorPosition, (value: unknown) => boolean> = {
  timestamp: (value) =>
    typeof value === 'string' && ISO_INSTANT.test(value) && isHeldByTimestamptz(value),
  recordId: (value) => typeof value === 'string' && isGhlId(value) && !value.includes('\u0000'),
  timelinePosition: (value) => typeof value === 'string' && isTimelinePosition(value),
};

function isTimelinePosition(value: string): boolean {
  if (STORED_ENTRY.test(value)) return true;
  const kind = DERIVED_ENTRY.exec(value);

  return kind !== null && isPosition.recordId(value.slice(kind[0].length));
}

/**
 * An instant Postgres can compare with: one the calendar has (2026-02-30 does not come back the
 * same) and timestamptz holds.
 */
function isHeldByTimestamptz(iso: string): boolean {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time) || time < EARLIEST_TIMESTAMPTZ_MS) return false;

  return new Date(time).toISOString() === iso;
}

type Decoded<Positions extends readonly CursorPosition[]> = { [K in keyof Positions]: string };

/**
 * A query-string field holding a cursor of these positions, decoded to its values; anything
 * else is an issue on the field, which `parseQuery` answers 400 with the field's name.
 */
export function pageCursor<const Positions extends readonly CursorPosition[]>(
  positions: Positions,
) {
  return z.string().transform((cursor, context): Decoded<Positions> => {
    const values = parseJson(cursor);
    const isValid =
      Array.isArray(values) &&
      values.length === positions.length &&
      positions.every((position, index) => isPosition[position](values[index]));
    if (!isValid) {
      context.addIssue({ code: 'custom', message: 'not a cursor this API gave out' });

      return z.NEVER;
    }

    return values as Decoded<Positions>;
  });
}

function parseJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
