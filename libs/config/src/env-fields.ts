import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/**
 * Reusable field parsers for environment variables (all arrive as strings). A blank value is the
 * variable unset: a k8s Secret key left empty or compose's `${NAME:-}` hands the service an
 * empty variable, which then takes the field's default, or stays undefined when it has none.
 */

/**
 * Reads a blank value (empty, or only spaces) as unset before `field` parses it. Every field
 * below is wrapped in it; a field made elsewhere wraps itself, or uses {@link optional}.
 */
export const emptyIsUnset = <Field extends z.ZodType>(field: Field) =>
  z.preprocess((value) => (isBlank(value) ? undefined : value), field);

function isBlank(value: unknown): boolean {
  return typeof value === 'string' && value.trim() === '';
}

/** A variable that may be left unset (or blank): undefined then, and `field` parses the rest. */
export const optional = <Field extends z.ZodType>(field: Field) => emptyIsUnset(field.optional());

export const port = (fallback: number) =>
  emptyIsUnset(
    z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).default(fallback),
  );

/**
 * An http:// or https:// URL (every URL a service calls or hands out is one of these). Without a
 * fallback it is required: `optional(url())` for one that may be unset.
 */
export const url = (fallback?: string) =>
  fallback === undefined ? emptyIsUnset(httpUrl()) : emptyIsUnset(httpUrl().default(fallback));

/**
 * An http(s) origin: scheme, host and port only. For a base whose callers put their own absolute
 * paths on it (`new URL('/internal/…', base)`), where a path, query or fragment would be dropped.
 */
export const originUrl = (fallback: string) =>
  emptyIsUnset(
    httpUrl()
      .refine(isOrigin, { message: 'must be an origin only (no path, query or fragment)' })
      .default(fallback),
  );

/**
 * `abort`: a refinement after it (an origin check) runs only on an http(s) URL. No user name or
 * password: fetch and undici refuse a URL that carries them (every call would fail), and the
 * refused URL, password included, would be written into the error.
 */
const httpUrl = () =>
  z
    .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL', abort: true })
    .refine(hasNoCredentials, {
      message: 'must carry no user name or password (fetch refuses such a URL)',
      abort: true,
    });

function hasNoCredentials(value: string): boolean {
  const parsed = new URL(value);

  return parsed.username === '' && parsed.password === '';
}

function isOrigin(value: string): boolean {
  const parsed = new URL(value);

  return parsed.pathname === '/' && !value.includes('?') && !value.includes('#');
}

export const flag = (fallback: boolean) =>
  emptyIsUnset(
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
  );

/** One of a few words, `fallback` when unset; the message lists them. */
export const oneOf = <const Word extends string>(
  words: readonly [Word, ...Word[]],
  fallback: Word,
) => emptyIsUnset(z.enum(words, { message: `must be ${listOfWords(words)}` }).default(fallback));

function listOfWords(words: readonly string[]): string {
  if (words.length <= 2) return words.join(' or ');

  return `one of ${words.join(', ')}`;
}

/**
 * A whole number from 1 to `max` (by default, the largest integer a double holds exactly);
 * `why` says, in the message, what makes a larger one wrong.
 */
export const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER, why?: string) =>
  wholeNumber(fallback, { min: 1, max, why });

/**
 * The longest delay a Node timer (`setTimeout`, `setInterval`, and the timers of BullMQ and
 * undici) holds: 2^31 - 1 ms, about 24.8 days. A longer one is not refused by Node: it fires
 * after 1 ms, so a poll or lock renewal set beyond it would spin.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A duration in milliseconds, from `min` (1 unless told) to {@link MAX_TIMER_MS}. Every `*_MS`
 * variable is one (the deploy check walks every service's schema for it), a timer or not: one
 * bound for every duration, as the README states it.
 */
export const milliseconds = (fallback: number, { min = 1 }: { min?: 0 | 1 } = {}) =>
  wholeNumber(fallback, {
    min,
    max: MAX_TIMER_MS,
    why: 'the longest timer Node holds, ~24.8 days',
  });

function wholeNumber(fallback: number, bounds: { min: number; max: number; why?: string }) {
  const reason = bounds.why ? ` (${bounds.why})` : '';

  return emptyIsUnset(
    z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(bounds.min, {
        message: bounds.min === 1 ? 'must be greater than 0' : `must be at least ${bounds.min}`,
      })
      .max(bounds.max, { message: `must be at most ${bounds.max}${reason}` })
      .default(fallback),
  );
}

/**
 * A cron pattern as BullMQ reads it: checked with the parser BullMQ's job schedulers use
 * (cron-parser, pinned to BullMQ's version), so a pattern passes here exactly when a scheduler
 * would take it, and it must fire at least once. Blank is unset (the default), never passed to
 * the parser, which would read it as every minute.
 */
export const cronPattern = (fallback: string) =>
  emptyIsUnset(
    z
      .string()
      .superRefine((pattern, context) => {
        const problem = cronProblem(pattern);
        if (problem)
          context.addIssue({ code: 'custom', message: `must be a cron pattern: ${problem}` });
      })
      .default(fallback),
  );

function cronProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'it is blank';
  try {
    CronExpressionParser.parse(pattern, { tz: 'UTC' }).next();

    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * An IANA time zone the runtime knows (`Europe/Berlin`, `UTC`), as Intl and the cron parser
 * read it. It is kept as written: the runtime's canonical name can be an older spelling of the
 * same zone (`Europe/Kyiv` is `Europe/Kiev` to ICU), which would be what a connection stores
 * and shows.
 */
export const timeZone = (fallback: string) =>
  emptyIsUnset(
    z
      .string()
      .refine(isKnownZone, { message: 'must be an IANA time zone, e.g. Europe/Berlin' })
      .default(fallback),
  );

function isKnownZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });

    return true;
  } catch {
    return false;
  }
}

/** A secret: required (blank is unset, so refused), never printed. Only its length is checked. */
export const secret = (minLength = 16) =>
  emptyIsUnset(
    z
      .string({ message: 'is required' })
      .min(minLength, { message: `must be at least ${minLength} characters` })
      // HTTP drops a header value's outer whitespace, so a secret with any (a file's trailing
      // newline, as `kubectl create secret --from-file` keeps it) could never be presented.
      .refine((value) => value === value.trim(), {
        message: 'must not start or end with whitespace (a trailing newline?)',
      }),
  );

/**
 * A comma-separated list, `fallback` when unset. The one field where blank is not unset: a blank
 * list is a list of nothing, which turns off what a non-empty default would list (the ingress'
 * public key files of one signature scheme).
 */
export const csv = (fallback: string[] = []) =>
  z
    .string()
    .optional()
    .transform((value) =>
      value === undefined
        ? fallback
        : value
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean),
    );
