import { z } from 'zod';

import { bodyProblems } from './internal-body';

/**
 * The body of `POST /internal/locations/:locationId/access-token`: `{}` or
 * `{"forceRefresh": true}`. Strict, so that `"forceRefresh": "true"` or a misspelt field is
 * refused instead of read as "no refresh", on the node:http route and the Nest controller alike.
 */
const accessTokenBody = z.strictObject(
  { forceRefresh: z.boolean({ message: 'must be true or false' }).optional() },
  { message: 'must be a JSON object' },
);

/** A body an internal endpoint refuses with 400; the message names each field. */
export class InvalidBodyError extends Error {}

/** Whether the (parsed JSON) body asks for a refresh; throws {@link InvalidBodyError}. */
export function forceRefreshOf(body: unknown): boolean {
  const result = accessTokenBody.safeParse(body);
  if (!result.success) throw new InvalidBodyError(bodyProblems(result.error).join('; '));

  return result.data.forceRefresh === true;
}
