import { z } from 'zod';

import { parkedJobListQuery } from '../failures/parked-jobs.controller';
import { contactListQuery, historyQuery, timelineQuery } from '../read-api/read-api-queries';
import { orderedRange, queryParameters, wholeNumber } from './query-parameters';

const issuesOf = (schema: z.ZodType, query: unknown) => {
  const result = schema.safeParse(query);

  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('query parameters', () => {
  const queries: Array<[string, z.ZodObject, string[]]> = [
    ['the contact list', contactListQuery, ['tag']],
    ['the timeline', timelineQuery, []],
    ['the health-score history', historyQuery, []],
    ['the parked jobs', parkedJobListQuery, []],
  ];

  describe.each(queries)('of %s', (_, schema, lists) => {
    const once = Object.keys(schema.shape).filter((name) => !lists.includes(name));

    it.each(once)('refuses %s given twice, saying so', (name) => {
      expect(issuesOf(schema, { [name]: ['1', '2'] })).toEqual([
        `${name}: given 2 times; give it once`,
      ]);
    });
  });

  it('takes a list parameter given twice as the list', () => {
    const query = contactListQuery.parse({ tag: ['solar', 'hot'] });

    expect(query.tag).toEqual(['solar', 'hot']);
  });

  it('refuses a range whose low bound is above its high one, and takes one value', () => {
    const range = queryParameters({ from: wholeNumber(0, 9), to: wholeNumber(0, 9) }).superRefine(
      orderedRange('from', 'to'),
    );

    expect(issuesOf(range, { from: '5', to: '3' })).toEqual([
      'from: 5 is above to 3, so nothing is in the range',
    ]);
    expect(issuesOf(range, { from: '3', to: '3' })).toEqual([]);
    expect(issuesOf(contactListQuery, { minScore: '50', maxScore: '10' })).toEqual([
      'minScore: 50 is above maxScore 10, so nothing is in the range',
    ]);
  });

  it('reads leading zeros, and a number past any range as out of it', () => {
    const limit = queryParameters({ limit: wholeNumber(1, 200) });

    expect(limit.parse({ limit: '0000000001' })).toEqual({ limit: 1 });
    expect(issuesOf(limit, { limit: '9'.repeat(400) })).toEqual([
      'limit: must be a whole number from 1 to 200',
    ]);
  });

  it('says what a whole number must be, whatever is wrong with it', () => {
    const limit = queryParameters({ limit: wholeNumber(1, 200) });

    const values = ['ten', '0', '201', '1.5', '', '0x10', '1e1', '16.0', ' 16', '-1', '+16'];

    const issues = values.map((value) => issuesOf(limit, { limit: value }));

    expect(issues).toEqual(issues.map(() => ['limit: must be a whole number from 1 to 200']));
  });
});
