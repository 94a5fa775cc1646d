import { Logger, LoggerService } from '@nestjs/common';

import type { GhlAppointment, GhlContact, GhlNote, GhlTask } from '@sm/ghl-client';

import { describeUnderProcessZones } from '../../test/support/process-zones';
import { appointmentRow, contactRow, FetchContext, noteRow, taskRow } from './record-mappers';

const LOCATION = 'SMmapperLocation1';
const context: FetchContext = {
  locationId: LOCATION,
  fetchedAt: new Date('2026-03-05T12:00:00Z'),
  timeZone: 'America/Denver',
};

const contact = (fields: Record<string, unknown>) =>
  ({ id: 'contact-1', locationId: LOCATION, ...fields }) as GhlContact;
const appointment = (fields: Record<string, unknown>) =>
  ({ id: 'appt-1', ...fields }) as GhlAppointment;

/** What the mappers log at warn level, as the first argument (the structured fields). */
function recordWarnings() {
  const warnings: unknown[] = [];
  const quiet = () => undefined;
  const logger: LoggerService = {
    log: quiet,
    error: quiet,
    warn: (fields: unknown) => warnings.push(fields),
  };
  beforeEach(() => {
    warnings.length = 0;
    Logger.overrideLogger(logger);
  });
  afterEach(() => Logger.overrideLogger(false));

  return warnings;
}

describe('record mappers', () => {
  describeUnderProcessZones(__filename);
  const warnings = recordWarnings();

  describe("a contact's phone", () => {
    it.each([
      ['an extension after "ext."', '+1 (303) 555-0142 ext. 89', 'US', '+13035550142', '89'],
      ['an RFC 3966 extension', '+13035550142;ext=5', 'US', '+13035550142', '5'],
      ['a tel: URI', 'tel:+1-303-555-0142;ext=123', 'US', '+13035550142', '123'],
      ['an extension after "x"', '303-555-0142 x12', 'US', '+13035550142', '12'],
      ['an extension after "#"', '(303) 555-0142 #7', 'US', '+13035550142', '7'],
      ['"extension" spelt out', '+44 20 7946 0958 extension 3', 'US', '+442079460958', '3'],
      ['no extension', '+13035550142', 'US', '+13035550142', null],
      ['national, the country lower case', '(415) 555-2671', 'us', '+14155552671', null],
      ['spaces around', '  +1 303 555 0142 ', undefined, '+13035550142', null],
      ['a number, not a string', 13035550142, 'US', '+13035550142', null],
      ['a national number, not a string', 3035550142, 'US', '+13035550142', null],
      ['a number without a country: its digits', 13035550142, undefined, '13035550142', null],
      ['blank', '   ', 'US', null, null],
      ['empty', '', 'US', null, null],
      ['absent', undefined, 'US', null, null],
      ['null', null, 'US', null, null],
      ['an object', { number: '+13035550142' }, 'US', null, null],
      ['a German number dialled from Europe', '0049 30 901820', 'US', '0049 30 901820', null],
      ['a vanity number', '1-800-FLOWERS', 'US', '1-800-FLOWERS', null],
      ['an invalid number with an extension', '555-01 ext. 9', 'US', '555-01 ext. 9', null],
    ])(
      'stores a phone given as %s: E.164, the extension apart',
      (_, phone, country, want, extension) => {
        const row = contactRow(contact({ phone, country }), context);

        expect({ phone: row.phone, extension: row.phone_extension }).toEqual({
          phone: want,
          extension,
        });
      },
    );

    it('warns, naming the contact and field but not the value, for a phone it cannot read', () => {
      contactRow(contact({ phone: { number: '+13035550142' } }), context);

      expect(warnings).toEqual([
        { locationId: LOCATION, recordType: 'contact', recordId: 'contact-1', field: 'phone' },
      ]);
    });
  });

  describe('times', () => {
    it('stores an epoch-milliseconds start and an unreadable end as null', () => {
      const row = appointmentRow(
        appointment({ startTime: 1772384400000, endTime: 'soon' }),
        'contact-1',
        context,
      );

      expect({ start: row.start_time, end: row.end_time }).toEqual({
        start: new Date('2026-03-01T17:00:00.000Z'),
        end: null,
      });
    });

    it('stores an epoch-seconds start as null and warns, naming the record and field', () => {
      const row = appointmentRow(appointment({ startTime: 1625130000 }), 'contact-1', context);

      expect({ start: row.start_time, warnings }).toEqual({
        start: null,
        warnings: [
          {
            locationId: LOCATION,
            recordType: 'appointment',
            recordId: 'appt-1',
            field: 'startTime',
            value: '1625130000',
          },
        ],
      });
    });

    it.each([
      [
        'an appointment end (a blank start is no time, not unreadable)',
        () => appointmentRow(appointment({ startTime: '  ', endTime: 'soon' }), 'c', context),
        { recordType: 'appointment', recordId: 'appt-1', field: 'endTime', value: 'soon' },
      ],
      [
        "an appointment's dateUpdated",
        () => appointmentRow(appointment({ dateUpdated: '2026-13-01 10:00' }), 'c', context),
        {
          recordType: 'appointment',
          recordId: 'appt-1',
          field: 'dateUpdated',
          value: '2026-13-01 10:00',
        },
      ],
      [
        "a contact's dateAdded",
        () => contactRow(contact({ dateAdded: '2026-02-30 10:00:00', dateUpdated: null }), context),
        {
          recordType: 'contact',
          recordId: 'contact-1',
          field: 'dateAdded',
          value: '2026-02-30 10:00:00',
        },
      ],
      [
        "a task's dueDate",
        () => taskRow({ id: 'task-1', dueDate: 'next week' } as GhlTask, 'contact-1', context),
        { recordType: 'task', recordId: 'task-1', field: 'dueDate', value: 'next week' },
      ],
      [
        "a note's dateAdded",
        () => noteRow({ id: 'note-1', dateAdded: true } as unknown as GhlNote, 'c', context),
        { recordType: 'note', recordId: 'note-1', field: 'dateAdded', value: '(boolean)' },
      ],
    ])('warns, naming the location, record and field, for %s it cannot read', (_, map, want) => {
      map();

      expect(warnings).toEqual([{ locationId: LOCATION, ...want }]);
    });

    it("reads a contact's bare times in the location zone", () => {
      const row = contactRow(
        contact({ dateAdded: '2026/03/01 10:00', dateUpdated: '2026-03-01 24:00:00' }),
        context,
      );

      expect([row.ghl_date_added, row.ghl_date_updated, row.source_version_at]).toEqual([
        new Date('2026-03-01T17:00:00.000Z'),
        new Date('2026-03-02T07:00:00.000Z'),
        new Date('2026-03-02T07:00:00.000Z'),
      ]);
    });
  });
});
