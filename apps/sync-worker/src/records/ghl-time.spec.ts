import { parseGhlTime } from './ghl-time';

describe("GHL's times", () => {
  it('reads ISO 8601 with a zone as written, whatever the location zone', () => {
    expect(parseGhlTime('2023-09-25T16:00:00+05:30', 'America/Denver')?.toISOString()).toBe(
      '2023-09-25T10:30:00.000Z',
    );
  });

  it.each([
    ['a summer time', '2021-07-16 11:00:00', 'America/Denver', '2021-07-16T17:00:00.000Z'],
    ['a winter time', '2021-01-16 11:00:00', 'America/Denver', '2021-01-16T18:00:00.000Z'],
    [
      'the same wall clock elsewhere',
      '2021-07-16 11:00:00',
      'Europe/Lisbon',
      '2021-07-16T10:00:00.000Z',
    ],
    [
      'a time in the spring gap',
      '2026-03-08 02:30:00',
      'America/Denver',
      '2026-03-08T08:30:00.000Z',
    ],
    [
      'the earlier of an autumn overlap',
      '2026-11-01 01:30:00',
      'America/Denver',
      '2026-11-01T07:30:00.000Z',
    ],
    [
      'an unknown zone, as UTC',
      '2021-07-16 11:00:00',
      'Nowhere/Atlantis',
      '2021-07-16T11:00:00.000Z',
    ],
  ])('reads a bare wall-clock time in the location zone: %s', (_case, value, zone, expected) => {
    expect(parseGhlTime(value, zone)?.toISOString()).toBe(expected);
  });

  it('gives the same instants when zones alternate (one formatter kept per zone)', () => {
    const zones = ['America/Denver', 'Europe/Lisbon', 'Asia/Kolkata', 'America/Denver'];

    const read = zones.map((zone) => parseGhlTime('2021-07-16 11:00', zone)?.toISOString());

    expect(read).toEqual([
      '2021-07-16T17:00:00.000Z',
      '2021-07-16T10:00:00.000Z',
      '2021-07-16T05:30:00.000Z',
      '2021-07-16T17:00:00.000Z',
    ]);
  });

  it.each([[''], ['   '], ['not a time'], [42], [null]])('answers null for %p', (value) => {
    expect(parseGhlTime(value, 'America/Denver')).toBeNull();
  });

  it.each([
    ['year 99, not 1999', '0099-06-01 10:00:00', '0099-06-01T10:00:00.000Z'],
    ['year 0 (1 BC)', '0000-06-01T10:00:00Z', '0000-06-01T10:00:00.000Z'],
    ['year 20266', '20266-03-01', '+020266-03-01T00:00:00.000Z'],
  ])('keeps a time far from now as written: %s', (_case, value, expected) => {
    expect(parseGhlTime(value, 'UTC')?.toISOString()).toBe(expected);
  });

  it('answers null for a time before 4713 BC, which Postgres cannot store', () => {
    expect(parseGhlTime('-010000-01-01T00:00:00Z', 'UTC')).toBeNull();
    expect(parseGhlTime('-004712-01-01T00:00:00Z', 'UTC')?.toISOString()).toBe(
      '-004712-01-01T00:00:00.000Z',
    );
  });
});
