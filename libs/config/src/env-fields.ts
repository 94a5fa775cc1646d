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

export const positiveInt = (fallback: number) =>
  z.coerce.number({ message: 'must be a number' }).int().positive().default(fallback);

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
