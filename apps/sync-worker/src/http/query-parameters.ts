import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

/**
 * A parameter given once. Express hands `?limit=10&limit=20` over as a list, which a number
 * would coerce to NaN and a string refuse as "expected string": the list is refused by the
 * parameter's name and how often it came, before the parameter's own schema reads it.
 */
export function once<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess((value, context) => {
    if (!Array.isArray(value)) return value;
    context.addIssue({
      code: 'custom',
      message: `given ${value.length} times; give it once`,
    });

    return z.NEVER;
  }, schema);
}

type QueryShape<Shape extends Record<string, z.ZodType>, List extends keyof Shape> = {
  [Key in keyof Shape]: Key extends List ? Shape[Key] : ReturnType<typeof once<Shape[Key]>>;
};

/**
 * The query string of a route: these parameters and no other, each given once except those
 * named in `lists` (`?tag=a&tag=b`), whose schemas take the list themselves.
 */
export function queryParameters<
  Shape extends Record<string, z.ZodType>,
  List extends keyof Shape & string = never,
>(shape: Shape, lists: readonly List[] = []) {
  const fields = Object.fromEntries(
    Object.entries(shape).map(([name, field]) => [
      name,
      (lists as readonly string[]).includes(name) ? field : once(field),
    ]),
  ) as QueryShape<Shape, List>;

  return z.strictObject(fields);
}

/**
 * A whole number from `min` to `max`, in decimal digits; anything else is refused saying just
 * that. Not a coerced number, which reads `0x10`, `1e1`, `16.0` and ` 16` as 16.
 */
export function wholeNumber(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;

  return z
    .string({ error })
    .regex(/^\d+$/, { error })
    .transform(Number)
    .pipe(z.number({ error }).min(min, { error }).max(max, { error }));
}

/**
 * A check of a query holding a range as two parameters: a low bound above the high one holds
 * nothing, and is refused naming both rather than answered with an empty page.
 */
export function orderedRange<Query extends Record<string, unknown>>(
  low: keyof Query & string,
  high: keyof Query & string,
) {
  return (query: Query, context: z.RefinementCtx) => {
    const [from, to] = [query[low], query[high]];
    const isEmpty = typeof from === 'number' && typeof to === 'number' && from > to;
    if (!isEmpty) return;
    context.addIssue({
      code: 'custom',
      path: [low],
      message: `${from} is above ${high} ${to}, so nothing is in the range`,
    });
  };
}

/**
 * Parses a query string with a schema; a bad one is a 400 naming each parameter, an unknown one
 * too (zod names the object, `query: Unrecognized key: "foo"`).
 */
export function parseQuery<Schema extends z.ZodType>(
  schema: Schema,
  query: unknown,
): z.infer<Schema> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;

  throw new BadRequestException(result.error.issues.flatMap(problemLines));
}

function problemLines(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${key}: not a parameter of this route`);
  }

  return [`${issue.path.join('.') || 'query'}: ${issue.message}`];
}
