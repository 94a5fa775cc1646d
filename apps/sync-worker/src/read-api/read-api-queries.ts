import { z } from 'zod';

import { orderedRange, queryParameters, wholeNumber } from '../http/query-parameters';
import { pageCursor } from './page-cursor';

/** What a route with a query answers 400 for (its OpenAPI entry), each problem by its name. */
export const BAD_QUERY =
  'A parameter unknown, malformed, out of its range or given more than once (each is given ' +
  'once, but for `tag`); a minScore above maxScore.';

const limit = (fallback: number, max: number) => wholeNumber(1, max).default(fallback);
const score = wholeNumber(0, 100).optional();
/** `?tag=a&tag=b` arrives as an array, `?tag=a` as a string. */
const tags = z
  .union([z.string().min(1), z.array(z.string().min(1))])
  .optional()
  .transform((value) => (value === undefined ? [] : [value].flat()));

const INSTANT_OF_YEARS_1_TO_9999 = 'an ISO 8601 date-time of the years 0001 to 9999';

/**
 * An ISO 8601 date-time with `Z` or an offset, of the years 0001 to 9999 as written, as the
 * instant it names. ISO's year 0000 is refused, as Postgres refuses it. The instant is bound as
 * a Date, so that Postgres never parses the offset itself (it refuses one past ±15:59).
 */
const instantOfYears1To9999 = z.iso
  .datetime({ offset: true, message: INSTANT_OF_YEARS_1_TO_9999 })
  .refine((value) => !value.startsWith('0000'), { message: INSTANT_OF_YEARS_1_TO_9999 })
  .transform((value) => new Date(value));

export const contactListQuery = queryParameters(
  {
    locationId: z.string().min(1).max(64).optional(),
    tag: tags,
    minScore: score,
    maxScore: score,
    updatedSince: instantOfYears1To9999.optional(),
    limit: limit(50, 200),
    /** (updatedAt, locationId, id) of the last contact of the page before. */
    cursor: pageCursor(['timestamp', 'recordId', 'recordId']).optional(),
  },
  ['tag'],
).superRefine(orderedRange('minScore', 'maxScore'));

export type ContactListQuery = z.infer<typeof contactListQuery>;

export const timelineQuery = queryParameters({
  limit: limit(50, 200),
  order: z.enum(['asc', 'desc']).default('desc'),
  /** (occurredAt, position) of the last entry of the page before. */
  cursor: pageCursor(['timestamp', 'timelinePosition']).optional(),
});

export type TimelineQuery = z.infer<typeof timelineQuery>;

export const historyQuery = queryParameters({ limit: limit(20, 200) });
