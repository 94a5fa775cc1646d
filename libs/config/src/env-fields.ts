import { z } from 'zod';

/** Reusable field parsers for environment variables (all arrive as strings). */

export const port = (fallback: number) =>
  z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).default(fallback);

export const url = (fallback?: string) => {
  const field = z.url({ message: 'must be a URL' });
  return fallback === undefined ? field : field.default(fallback);
};

export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

/** A whole number from 1 to `max` (by default, the largest integer a double holds exactly). */
export const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .positive({ message: 'must be greater than 0' })
    .max(max, { message: `must be at most ${max}` })
    .default(fallback);

/** A secret: required, never printed. Only its length is checked. */
export const secret = (minLength = 16) =>
  z
    .string({ message: 'is required' })
    .min(minLength, { message: `must be at least ${minLength} characters` });

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
