import { z } from 'zod';

/**
 * The problems of an internal endpoint's JSON body, one per field (`scopes: must be …`), for
 * its 400 answer. Messages name fields, never values: a body may hold a token.
 */
export function bodyProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown field`;
    const field = issue.path.join('.') || 'body';

    return `${field}: ${issue.message}`;
  });
}
