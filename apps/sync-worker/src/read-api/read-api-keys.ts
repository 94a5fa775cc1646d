import { createHash } from 'node:crypto';

import { z } from 'zod';

/** A read API credential as the service holds it: the key's SHA-256, never the key. */
export interface ReadApiKey {
  /** A label for logs and audit (never the key). */
  name: string;
  digest: Buffer;
  /** The locations this key reads; nothing else exists for it. */
  locations: string[];
}

export const digestApiKey = (key: string) => createHash('sha256').update(key).digest();

const entry = z
  .object({
    name: z.string().regex(/^[a-z0-9-]{1,64}$/, { message: 'names are lower-case words' }),
    /** The key itself (at least 32 characters), or … */
    key: z.string().min(32, { message: 'keys are at least 32 characters' }).optional(),
    /** … its SHA-256 in hex, so the environment never holds the key. */
    keyHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: 'keyHash is a SHA-256 in lower-case hex' })
      .optional(),
    locations: z.array(z.string().min(1).max(64)).min(1, { message: 'name at least one location' }),
  })
  .strict()
  .refine((value) => (value.key === undefined) !== (value.keyHash === undefined), {
    message: 'give either key or keyHash',
  });

/**
 * `READ_API_KEYS`: a JSON array of `{ name, key | keyHash, locations: [...] }`. Absent, no key
 * is accepted and the read API answers 401 to everyone. Messages name the field, never a value.
 */
export const readApiKeysField = () =>
  z
    .string()
    .optional()
    .transform((value, context): unknown => {
      if (value === undefined || value.trim() === '') return [];
      try {
        return JSON.parse(value);
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON array' });

        return z.NEVER;
      }
    })
    .pipe(z.array(entry))
    .transform((entries, context): ReadApiKey[] => {
      const keys = entries.map((value) => ({
        name: value.name,
        digest: value.keyHash ? Buffer.from(value.keyHash, 'hex') : digestApiKey(value.key ?? ''),
        locations: [...new Set(value.locations)],
      }));
      const digests = new Set(keys.map((key) => key.digest.toString('hex')));
      const names = new Set(keys.map((key) => key.name));
      if (digests.size !== keys.length || names.size !== keys.length) {
        context.addIssue({ code: 'custom', message: 'each key and each name appears once' });
      }

      return keys;
    });
