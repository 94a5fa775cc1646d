import { describeUnderProcessZones } from '../../test/support/process-zones';
import { parseGhlTime, readGhlTime } from './ghl-time';

const DENVER = 'America/Denver';
const iso = (value: unknown, zone = DENVER) => parseGhlTime(value, zone)?.toISOString() ?? null;

describe("GHL's times", () => {
  describeUnderProcessZones(__filename);

  it.each([
    ['an offset', '2023-09-25T16:00:00+05:30', '2023-09-25T10:30:00.000Z'],
    ['an offset without a colon', '2023-09-25T16:00:00+0530', '2023-09-25T10:30:00.000Z'],
    ['an offset in hours', '2023-09-25T16:00:00-03', '2023-09-25T19:00:00.000Z'],
    ['Z', '2021-07-02T05:18:26.704Z', '2021-07-02T05:18:26.704Z'],
    ['Z and six fraction digits', '2021-07-02T05:18:26.704123Z', '2021-07-02T05:18:26.704Z'],
    ['a space and UTC', '2021-07-02 05:18:26 UTC', '2021-07-02T05:18:26.000Z'],
  ])(
    'reads a time with its own zone as written, whatever the location zone: %s',
    (_, value, want) => {
      expect(iso(value, 'Asia/Tokyo')).toBe(want);
    },
  );

  it.each([
    ['a summer time', '2021-07-16 11:00:00', DENVER, '2021-07-16T17:00:00.000Z'],
    ['a winter time', '2021-01-16 11:00:00', DENVER, '2021-01-16T18:00:00.000Z'],
    [
      'the same wall clock elsewhere',
      '2021-07-16 11:00:00',
      'Europe/Lisbon',
      '2021-07-16T10:00:00.000Z',
    ],
    [
      'an unknown zone, as UTC',
      '2021-07-16 11:00:00',
      'Nowhere/Atlantis',
      '2021-07-16T11:00:00.000Z',
    ],
  ])('reads a bare wall-clock time in the location zone: %s', (_case, value, zone, expected) => {
    expect(iso(value, zone)).toBe(expected);
  });

  it.each([
    ['six fraction digits', '2026-03-01T10:00:00.123456', '2026-03-01T17:00:00.123Z'],
    ['nine fraction digits, cut', '2026-03-01 10:00:00.999999999', '2026-03-01T17:00:00.999Z'],
    ['one fraction digit', '2026-03-01 10:00:00.5', '2026-03-01T17:00:00.500Z'],
    ['a decimal comma', '2026-03-01 10:00:00,25', '2026-03-01T17:00:00.250Z'],
    ['slashes', '2026/03/01 10:00', '2026-03-01T17:00:00.000Z'],
    ['slashes, T and a fraction', '2026/03/01T10:00:00.0001', '2026-03-01T17:00:00.000Z'],
    ['a leap day', '2024-02-29 10:00', '2024-02-29T17:00:00.000Z'],
  ])(
    'reads any wall-clock form in the location zone, never the process zone: %s',
    (_, value, want) => {
      expect(iso(value)).toBe(want);
    },
  );

  it.each([
    ['with dashes', '2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['with slashes', '2026/03/01', '2026-03-01T00:00:00.000Z'],
    ['a five-digit year', '20266-03-01', '+020266-03-01T00:00:00.000Z'],
  ])('reads a date alone as midnight UTC, whatever the zones: %s', (_, value, want) => {
    expect(iso(value)).toBe(want);
  });

  it.each([
    ['in the location zone', '2026-03-01 24:00:00', DENVER, '2026-03-02T07:00:00.000Z'],
    ['at the end of a year', '2026-12-31T24:00', DENVER, '2027-01-01T07:00:00.000Z'],
    ['with Z', '2026-03-01T24:00:00Z', DENVER, '2026-03-02T00:00:00.000Z'],
    ['on the day clocks go forward', '2026-03-07 24:00', DENVER, '2026-03-08T07:00:00.000Z'],
  ])("reads 24:00 as the end of the day, the next day's 00:00: %s", (_, value, zone, want) => {
    expect(iso(value, zone)).toBe(want);
  });

  it.each([
    ['30 February', '2026-02-30 10:00:00'],
    ['29 February of a common year', '2025-02-29T10:00:00Z'],
    ['29 February 1900', '1900-02-29'],
    ['31 April', '2026-04-31T10:00:00Z'],
    ['month 13', '2026-13-01 10:00'],
    ['day 0', '2026-03-00 10:00'],
    ['hour 25', '2026-03-01 25:00'],
    ['24:30', '2026-03-01 24:30'],
    ['just past 24:00', '2026-03-01 24:00:00.001'],
    ['minute 60', '2026-03-01 10:60'],
    ['second 61', '2026-03-01 10:00:61'],
    ['two separators', '2026-03/01 10:00'],
    ['words', 'March 1, 2026 10:00'],
    ['day first', '01/03/2026 10:00'],
    ['a Date string', 'Sun Mar 01 2026 10:00:00 GMT-0700'],
  ])('refuses an impossible or unreadable time as null: %s', (_, value) => {
    expect(iso(value)).toBeNull();
  });

  it.each([
    ['a number', 1772384400000, '2026-03-01T17:00:00.000Z'],
    ['a string of digits', '1772384400000', '2026-03-01T17:00:00.000Z'],
    ['digits with spaces around', ' 1772384400123 ', '2026-03-01T17:00:00.123Z'],
  ])('reads epoch milliseconds: %s', (_, value, want) => {
    expect(iso(value, 'Asia/Tokyo')).toBe(want);
  });

  it.each([
    ['epoch seconds', 1625130000],
    ['epoch seconds as digits', '1625130000'],
    ['epoch seconds of 2199', 7258118399],
    ['a compact date', 20210716],
    ['a compact date as digits', '20210716'],
    ['a year alone', '2026'],
    ['epoch microseconds', 1625130000000000],
    ['epoch microseconds as digits', '1625130000000000'],
    ['0', 0],
    ['0 as digits', '0'],
    ['-1', -1],
    ['-1 as digits', '-1'],
    ['before 1970', -1000],
    ['the ms of 2021, negated', '-1625130000000'],
    ['a small number', 42],
  ])('refuses an epoch value that is no plausible ms as unreadable: %s', (_, value) => {
    expect(readGhlTime(value, DENVER)).toEqual({ kind: 'unreadable' });
  });

  it.each([
    ['from 2000-01-01, a number', 946684800000, 946684799999, '2000-01-01T00:00:00.000Z'],
    ['from 2000-01-01, digits', '946684800000', '946684799999', '2000-01-01T00:00:00.000Z'],
    ['until 2200-01-01, a number', 7258118399999, 7258118400000, '2199-12-31T23:59:59.999Z'],
    ['until 2200-01-01, digits', '7258118399999', '7258118400000', '2199-12-31T23:59:59.999Z'],
  ])(
    'takes epoch ms just inside the window and refuses them just outside: %s',
    (_, inside, outside, want) => {
      const read = { inside: iso(inside), outside: readGhlTime(outside, DENVER) };

      expect(read).toEqual({ inside: want, outside: { kind: 'unreadable' } });
    },
  );

  it.each([
    // East of UTC the old reading gave the later instant (01:30Z).
    ['Berlin', 'Europe/Berlin', '2026-10-25 02:30', '2026-10-25T00:30:00.000Z'],
    ['Sydney', 'Australia/Sydney', '2026-04-05 02:30', '2026-04-04T15:30:00.000Z'],
    [
      'Lord Howe (a half hour)',
      'Australia/Lord_Howe',
      '2026-04-05 01:45',
      '2026-04-04T14:45:00.000Z',
    ],
    ['Denver', DENVER, '2026-11-01 01:30:00', '2026-11-01T07:30:00.000Z'],
    ['New York', 'America/New_York', '2026-11-01 01:30', '2026-11-01T05:30:00.000Z'],
  ])(
    'takes the earlier instant of an autumn overlap, in every zone: %s',
    (_, zone, value, want) => {
      expect(iso(value, zone)).toBe(want);
    },
  );

  it.each([
    // West of UTC the old reading moved back an hour (01:30 standard time).
    ['Denver, to 03:30 MDT', DENVER, '2026-03-08 02:30:00', '2026-03-08T09:30:00.000Z'],
    ['New York, to 03:30 EDT', 'America/New_York', '2026-03-08 02:30', '2026-03-08T07:30:00.000Z'],
    ['Berlin, to 03:30 CEST', 'Europe/Berlin', '2026-03-29 02:30', '2026-03-29T01:30:00.000Z'],
    ['Sydney, to 03:30 AEDT', 'Australia/Sydney', '2026-10-04 02:30', '2026-10-03T16:30:00.000Z'],
    ['Lord Howe, to 02:45', 'Australia/Lord_Howe', '2026-10-04 02:15', '2026-10-03T15:45:00.000Z'],
  ])("moves a time in a spring gap forward by the gap's length: %s", (_, zone, value, want) => {
    expect(iso(value, zone)).toBe(want);
  });

  it('gives the same instants when zones alternate (one formatter kept per zone)', () => {
    const zones = [DENVER, 'Europe/Lisbon', 'Asia/Kolkata', DENVER];

    const read = zones.map((zone) => iso('2021-07-16 11:00', zone));

    expect(read).toEqual([
      '2021-07-16T17:00:00.000Z',
      '2021-07-16T10:00:00.000Z',
      '2021-07-16T05:30:00.000Z',
      '2021-07-16T17:00:00.000Z',
    ]);
  });

  it.each([[undefined], [null], [''], ['   ']])('reads %p as no time at all', (value) => {
    expect(readGhlTime(value, DENVER)).toEqual({ kind: 'absent' });
  });

  it.each([
    ['soon'],
    ['2026-02-30 10:00:00'],
    ['2026-13-01'],
    ['2026-00-10'],
    ['2026-03-01T10:00:00+24:00'],
    ['2026-03-01T10:00:00 PST'],
    [1.5],
    [Number.NaN],
    [true],
    [{}],
    [[]],
  ])('tells %p apart from no time: unreadable', (value) => {
    expect(readGhlTime(value, DENVER)).toEqual({ kind: 'unreadable' });
  });

  it.each([
    ['year 99, not 1999', '0099-06-01 10:00:00', '0099-06-01T10:00:00.000Z'],
    ['year 0 (1 BC)', '0000-06-01T10:00:00Z', '0000-06-01T10:00:00.000Z'],
    ['year 20266', '20266-03-01', '+020266-03-01T00:00:00.000Z'],
    ['a local mean time of 1850', '1850-01-01 00:00:00', '1850-01-01T00:00:00.000Z'],
  ])('keeps a time far from now as written: %s', (_case, value, expected) => {
    expect(iso(value, 'UTC')).toBe(expected);
  });

  it('reads a wall-clock time of 1850 with the zone offset of then, in seconds', () => {
    expect(iso('1850-01-01 10:00', DENVER)).toBe('1850-01-01T16:59:56.000Z');
  });

  it('answers null for a time before 4713 BC or past 275760, which cannot be stored', () => {
    expect(iso('-010000-01-01T00:00:00Z', 'UTC')).toBeNull();
    expect(iso('-004712-01-01T00:00:00Z', 'UTC')).toBe('-004712-01-01T00:00:00.000Z');
    expect(iso('275760-09-14', 'UTC')).toBeNull();
    expect(iso(8.64e15 + 1, 'UTC')).toBeNull();
  });
});
