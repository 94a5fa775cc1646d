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
});
