import { z } from 'zod';

import { ConfigError } from './config-error';

export type Env = Record<string, string | undefined>;

/**
 * Validates the environment against a service's schema, once, at boot. Every problem is reported
 * by the variable's name, never by its value: a value may be a secret.
 */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Env = process.env,
): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    return `${variable}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** The problems {@link loadConfig} would report for `env`, one line per variable; none if valid. */
export function configProblems(schema: z.ZodType, env: Env): string[] {
  try {
    loadConfig(schema, env);

    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
