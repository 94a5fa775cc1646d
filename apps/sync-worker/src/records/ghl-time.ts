/**
 * GHL writes times two ways: ISO-8601 with a zone (`2021-07-02T05:18:26.704Z`) and, on calendar
 * events, a bare local wall-clock time (`2021-07-16 11:00:00`) meant in the location's zone.
 */
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

export function parseGhlTime(value: unknown, timeZone: string): Date | null {
  if (typeof value !== 'string' || value.trim() === '') return null;

  const wallClock = WALL_CLOCK.exec(value.trim());
  if (wallClock)
    return fromWallClock(
      wallClock.slice(1).map((part) => Number(part ?? 0)),
      timeZone,
    );

  const parsed = new Date(value);

  return isStorable(parsed) ? parsed : null;
}

/** Postgres' `timestamptz` starts in 4713 BC (ISO year -4712); JavaScript's reach further. */
const EARLIEST_STORABLE_MS = Date.UTC(-4712, 0, 1);

function isStorable(time: Date): boolean {
  return !Number.isNaN(time.getTime()) && time.getTime() >= EARLIEST_STORABLE_MS;
}

/** The instant a wall-clock time in `timeZone` names (the earlier one in a DST overlap). */
function fromWallClock(parts: number[], timeZone: string): Date | null {
  const [year, month, day, hour, minute, second, millis] = parts;
  // Date.UTC would read the years 0 to 99 as 1900 to 1999.
  const wallAsUtc = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis));
  const asUtc = wallAsUtc.setUTCFullYear(year, month - 1, day);
  if (Number.isNaN(asUtc)) return null;

  // Two passes: the offset at the first guess can differ from the offset at the answer around
  // a DST switch.
  const firstGuess = asUtc - offsetMs(asUtc, timeZone);

  const instant = new Date(asUtc - offsetMs(firstGuess, timeZone));

  return isStorable(instant) ? instant : null;
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

function offsetMs(instant: number, timeZone: string): number {
  const format = offsetFormat(timeZone);
  // An unknown zone: read the time as UTC rather than drop it.
  if (!format) return 0;
  const name = format
    .formatToParts(new Date(instant))
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!match) return 0;

  const sign = match[1] === '-' ? -1 : 1;

  return sign * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}
