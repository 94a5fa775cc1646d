/**
 * How GHL's times are read. GHL's spec shows ISO 8601 with a zone (`2021-07-02T05:18:26.704Z`,
 * `2023-09-25T16:00:00+05:30`) and, on calendar events, a bare wall-clock time
 * (`2021-07-16 11:00:00`) meant in the location's zone. It documents no epoch times in the
 * contacts spec, but a JSON number is read as one rather than dropped. Read here:
 *
 * - a number, or a string of digits only: epoch milliseconds from 2000-01-01 to before
 *   2200-01-01 UTC (EPOCH_MS_FROM, EPOCH_MS_UNTIL); any other is unreadable;
 * - `YYYY-MM-DD` or `YYYY/MM/DD`, then optionally `T` or a space and `hh:mm`, `:ss` and a
 *   fraction of any length (kept to the millisecond, the rest cut off), then optionally `Z`,
 *   `UTC`, `GMT` or an offset (`±hh`, `±hhmm`, `±hh:mm`). A time without a zone is a
 *   wall-clock time in the location's zone; a date alone is midnight UTC, as JavaScript reads
 *   `YYYY-MM-DD` (a calendar date, not a moment in the location's day). `24:00` is the end of
 *   the day, the next day's `00:00`.
 *
 * Anything else, and impossible dates (`2026-02-30`, month 13, minute 60), are unreadable:
 * never guessed at, never read in the server process's own zone.
 */
export type GhlTimeReading =
  { kind: 'absent' } | { kind: 'time'; time: Date } | { kind: 'unreadable' };

const GHL_TIME = new RegExp(
  '^([+-]\\d{6}|\\d{4,6})([-/])(\\d{2})\\2(\\d{2})' +
    '(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?)?' +
    ' ?(Z|UTC|GMT|[+-]\\d{2}(?::?\\d{2})?)?$',
  'i',
);
const EPOCH_MS = /^-?\d+$/;
/**
 * What GHL sends nearly always (`2021-07-02T05:18:26.704Z`, `…+05:30`): read by Date.parse,
 * which the language defines for this form whatever the process zone, once the fields are
 * checked (it rolls 30 February over to March). The grammar below costs a 10k-contact sync's
 * worker about 150 ms more.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?(?:Z|[+-](\d{2}):\d{2})$/;

const ABSENT: GhlTimeReading = { kind: 'absent' };
const UNREADABLE: GhlTimeReading = { kind: 'unreadable' };

/** `value` as GHL's time, with `timeZone` (IANA) the zone of a time written without one. */
export function readGhlTime(value: unknown, timeZone: string): GhlTimeReading {
  if (value === undefined || value === null) return ABSENT;
  if (typeof value === 'number') return fromEpochMs(value);
  if (typeof value !== 'string') return UNREADABLE;

  const trimmed = value.trim();
  if (trimmed === '') return ABSENT;
  if (EPOCH_MS.test(trimmed)) return fromEpochMs(Number(trimmed));
  const instant = ISO_INSTANT.exec(trimmed);
  if (instant && isPlainInstant(instant)) return storable(Date.parse(trimmed));
  const match = GHL_TIME.exec(trimmed);

  return match ? fromParts(match, timeZone) : UNREADABLE;
}

/** The instant, or null where the value is absent or unreadable. */
export function parseGhlTime(value: unknown, timeZone: string): Date | null {
  const reading = readGhlTime(value, timeZone);

  return reading.kind === 'time' ? reading.time : null;
}

/** Postgres' `timestamptz` starts in 4713 BC (ISO year -4712); JavaScript's reach further. */
const EARLIEST_STORABLE_MS = Date.UTC(-4712, 0, 1);
const DAY_MS = 86_400_000;

function storable(instant: number): GhlTimeReading {
  const isStorable = isWithinDateRange(instant) && instant >= EARLIEST_STORABLE_MS;

  return isStorable ? { kind: 'time', time: new Date(instant) } : UNREADABLE;
}

/** Beyond ±8.64e15 ms (about ±275,760 years) a Date is invalid. */
const isWithinDateRange = (instant: number) => Math.abs(instant) <= 8.64e15;

/**
 * The epoch milliseconds taken as a GHL time. GHL's spec types every time field read here
 * (startTime, endTime, dueDate, dateAdded, dateUpdated) as a string, with ISO or wall-clock
 * examples; its one epoch value, the contact list's `startAfter` cursor, is in milliseconds
 * (`1603870249758`). So a number is read as ms, and only where ms are plausible: GHL began in
 * 2018, so what it sends was added, updated or set well after 2000, and a due date or
 * appointment past 2200 is a typo (a time written as a date keeps any year). No other unit
 * lands in this window by chance: epoch seconds would have to be past the year 31,000 and
 * microseconds before 1970-03-27, and a compact date (`20210716`) or a small count is far
 * below it. A value outside is refused, not guessed to be seconds: GHL documents none, and a
 * sender that writes seconds where ms belong may be wrong in other ways too.
 */
const EPOCH_MS_FROM = Date.UTC(2000, 0, 1);
const EPOCH_MS_UNTIL = Date.UTC(2200, 0, 1);

function fromEpochMs(value: number): GhlTimeReading {
  const isPlausible =
    Number.isSafeInteger(value) && value >= EPOCH_MS_FROM && value < EPOCH_MS_UNTIL;

  return isPlausible ? { kind: 'time', time: new Date(value) } : UNREADABLE;
}

function fromParts(match: RegExpExecArray, timeZone: string): GhlTimeReading {
  const [, yearText, , monthText, dayText, hourText, minuteText, secondText, fraction, zone] =
    match;
  const [year, month, day] = [yearText, monthText, dayText].map(Number);
  const [hour, minute, second] = [hourText, minuteText, secondText].map((part) =>
    Number(part ?? 0),
  );
  const millis = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const isEndOfDay = hour === 24 && minute === 0 && second === 0 && /^0*$/.test(fraction ?? '');
  const isTimeOfDay = (hour < 24 || isEndOfDay) && minute < 60 && second < 60;
  if (!isDayOfMonth(year, month, day) || !isTimeOfDay) return UNREADABLE;

  const wallClock = wallClockAsUtc(year, month, day, isEndOfDay ? 0 : hour, minute, second, millis);
  const wall = wallClock + (isEndOfDay ? DAY_MS : 0);
  if (!isWithinDateRange(wall)) return UNREADABLE;
  if (hourText === undefined && zone === undefined) return storable(wall);
  if (zone === undefined) return storable(fromWallClock(wall, timeZone));
  const offset = zoneOffsetMs(zone);

  return offset === null ? UNREADABLE : storable(wall - offset);
}

/** A real day and a time of day short of 24:00 (which the grammar reads), offset under 24 h. */
function isPlainInstant(match: RegExpExecArray): boolean {
  const [, year, month, day, hour, minute, second, offsetHours] = match;

  return (
    isDayOfMonth(Number(year), Number(month), Number(day)) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60 &&
    (offsetHours === undefined || Number(offsetHours) < 24)
  );
}

function isDayOfMonth(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const isLeap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];

  return day <= days;
}

/** The wall-clock fields as if they were UTC, in epoch ms. */
function wallClockAsUtc(...[year, month, day, hour, minute, second, millis]: number[]): number {
  // Date.UTC would read the years 0 to 99 as 1900 to 1999.
  const time = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis));

  return time.setUTCFullYear(year, month - 1, day);
}

/** `Z`, `UTC`, `GMT`, `±hh`, `±hhmm` or `±hh:mm` in ms east of UTC; null past ±23:59. */
function zoneOffsetMs(zone: string): number | null {
  if (/^(Z|UTC|GMT)$/i.test(zone)) return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || 0);
  if (hours > 23 || minutes > 59) return null;

  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/**
 * The instant a wall-clock time in `timeZone` names, by one rule for every zone (Temporal's
 * "compatible" disambiguation): in an overlap (clocks set back) the earlier of the two instants;
 * in a gap (clocks set forward) the time moved forward by the gap's length, which is the wall
 * clock read with the offset in force before the switch. An unknown zone reads as UTC.
 */
function fromWallClock(wall: number, timeZone: string): number {
  // A switch is assumed to be the only one within a day either side (true of every tz zone).
  const before = offsetMs(wall - DAY_MS, timeZone);
  const after = offsetMs(wall + DAY_MS, timeZone);
  const candidates = [wall - before, wall - after].filter(
    (instant) => wall - offsetMs(instant, timeZone) === instant,
  );

  return candidates.length > 0 ? Math.min(...candidates) : wall - before;
}

/** One formatter per zone: making one costs far more than using it (tens of µs). */
const offsetFormats = new Map<string, Intl.DateTimeFormat | null>();

function offsetFormat(timeZone: string): Intl.DateTimeFormat | null {
  let format = offsetFormats.get(timeZone);
  if (format !== undefined) return format;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  } catch {
    format = null; // an unknown zone
  }
  // Zones are a few hundred names; anything else is refused above and costs one entry each.
  if (offsetFormats.size < 1_000) offsetFormats.set(timeZone, format);

  return format;
}

/** The zone's offset from UTC at `instant`, in ms east of UTC (0 for an unknown zone). */
function offsetMs(instant: number, timeZone: string): number {
  const format = offsetFormat(timeZone);
  if (!format || !isWithinDateRange(instant)) return 0;
  const name = format
    .formatToParts(new Date(instant))
    .find((part) => part.type === 'timeZoneName')?.value;
  // `GMT` alone at UTC; local mean times carry seconds (`GMT-06:59:56`).
  const match = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(name ?? '');
  if (!match) return 0;
  const [hours, minutes, seconds] = [match[2], match[3], match[4] ?? '0'].map(Number);

  return (match[1] === '-' ? -1 : 1) * ((hours * 60 + minutes) * 60 + seconds) * 1_000;
}
