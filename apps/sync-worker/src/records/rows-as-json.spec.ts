import { rowsAsJson } from './rows-as-json';

describe('rows as JSON for json_populate_recordset', () => {
  it('writes exactly the columns, dates in UTC ISO 8601, absent and invalid values as null', () => {
    const row = {
      id: 'task-1',
      due_date: new Date('2026-03-01T09:30:00.123Z'),
      completed_at: new Date(Number.NaN),
      tags: ['solar'],
      extra: 'not a column',
    };

    const json = rowsAsJson([row], ['id', 'due_date', 'completed_at', 'tags', 'body']);

    expect(JSON.parse(json)).toEqual([
      {
        id: 'task-1',
        due_date: '2026-03-01T09:30:00.123Z',
        completed_at: null,
        tags: ['solar'],
        body: null,
      },
    ]);
  });

  it('replaces NUL and lone surrogates, and nothing that only looks like their escapes', () => {
    const row = { body: 'a\u0000b \ud800 \\u0000 \\\ud800 \ud83c\udf1e' };

    const [{ body }] = JSON.parse(rowsAsJson([row], ['body']));

    expect(body).toBe('a\ufffdb \ufffd \\u0000 \\\ufffd \ud83c\udf1e');
  });
});
