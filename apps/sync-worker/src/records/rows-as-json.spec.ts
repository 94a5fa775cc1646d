import { rowsAsJson } from './rows-as-json';

describe('rows as JSON for jsonb_populate_recordset', () => {
  it('writes only the columns, dates in UTC ISO 8601, invalid ones as null', () => {
    const row = {
      id: 'task-1',
      due_date: new Date('2026-03-01T09:30:00.123Z'),
      completed_at: new Date(Number.NaN),
      tags: ['solar'],
      extra: 'not a column',
    };

    const json = rowsAsJson([row], ['id', 'due_date', 'completed_at', 'tags']);

    expect(JSON.parse(json)).toEqual([
      { id: 'task-1', due_date: '2026-03-01T09:30:00.123Z', completed_at: null, tags: ['solar'] },
    ]);
  });

  it('leaves absent and null values out, which jsonb_populate_recordset reads as NULL', () => {
    const json = rowsAsJson([{ id: 'task-1', title: null }], ['id', 'title', 'body']);

    expect(json).toBe('[{"id":"task-1"}]');
  });

  it('replaces NUL and lone surrogates, and nothing that only looks like their escapes', () => {
    const row = { body: 'a\u0000b \ud800 \\u0000 \\\ud800 \ud83c\udf1e' };

    const [{ body }] = JSON.parse(rowsAsJson([row], ['body']));

    expect(body).toBe('a\ufffdb \ufffd \\u0000 \\\ufffd \ud83c\udf1e');
  });

  it.each([
    ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['0000-06-01T10:00:00.000Z', '0001-06-01T10:00:00.000+00:00 BC'],
    ['-000001-06-01T10:00:00.000Z', '0002-06-01T10:00:00.000+00:00 BC'],
    ['+020266-03-01T00:00:00.000Z', '20266-03-01T00:00:00.000+00:00'],
  ])('writes %s as Postgres reads it: %s', (iso, expected) => {
    const [{ at }] = JSON.parse(rowsAsJson([{ at: new Date(iso) }], ['at']));

    expect(at).toBe(expected);
  });

  it('writes every time of a four-digit year as toISOString does', () => {
    const edges = [
      '0999-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2024-02-29T12:05:09.007Z',
    ];
    const spread = Array.from({ length: 2_000 }, (_, index) => -30e12 + index * 1.3e11 + index);
    const times = [...edges.map((iso) => Date.parse(iso)), ...spread, 253402300799999];

    const json = rowsAsJson(
      times.map((time) => ({ at: new Date(time) })),
      ['at'],
    );

    const written = (JSON.parse(json) as { at: string }[]).map(({ at }) => at);
    expect(written).toEqual(times.map((time) => new Date(time).toISOString()));
  });

  it('refuses a column name that is not a plain lower-case name', () => {
    const write = () => rowsAsJson([{ id: 'task-1' }], ['id', 'title"]; x["']);

    expect(write).toThrow('not a column name: "title\\"]; x[\\""');
  });
});
