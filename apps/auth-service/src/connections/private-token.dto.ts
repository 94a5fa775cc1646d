import { z } from 'zod';

import { bodyProblems } from '../tokens/internal-body';

/** A GHL scope name: `contacts.readonly`, `calendars/events.write`. */
const SCOPE = /^[A-Za-z0-9._/-]{1,100}$/;
const SCOPE_NAME = 'must be scope names, e.g. contacts.readonly';

/**
 * The body of `PUT /internal/locations/:locationId/private-token`: the token and the scopes it
 * was created with. Strict: a misspelt field (`scope`) or a string where the list belongs is
 * refused, never stored as "no scopes".
 */
const privateTokenBody = z.strictObject(
  {
    token: z
      .string({ message: 'must be a string' })
      .min(8, { message: 'must be at least 8 characters' }),
    /** Left out: none. */
    scopes: z
      .array(z.string({ message: SCOPE_NAME }).regex(SCOPE, { message: SCOPE_NAME }), {
        message: 'must be an array of scope names',
      })
      .max(100, { message: 'must list at most 100 scopes' })
      .default([]),
  },
  { message: 'must be a JSON object' },
);

export type PrivateTokenBody = z.infer<typeof privateTokenBody>;

/** The body, or the problems with it, each naming its field. */
export function parsePrivateTokenBody(
  body: unknown,
): { ok: true; value: PrivateTokenBody } | { ok: false; problems: string[] } {
  const result = privateTokenBody.safeParse(body);

  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: bodyProblems(result.error) };
}
