import type { ComposeService } from './workspace';

const VARIABLE =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Compose's interpolation as it reads on a machine with no `.env` and nothing exported: every
 * `${NAME:-default}` takes its default. A variable without a default would be empty there, which
 * the checks report (a developer's `docker compose up` must work as cloned).
 */
export function interpolate(value: string, unresolved: string[] = []): string {
  return value.replace(VARIABLE, (match, braced, operator, fallback, bare) => {
    if (match === '$$') return '$';
    const name = braced ?? bare;
    const hasFallback = operator === ':-' || operator === '-';
    if (!hasFallback) unresolved.push(name);

    return hasFallback ? fallback : '';
  });
}

/** A compose service's environment, list or map form, interpolated. */
export function composeEnvironment(
  service: ComposeService,
  unresolved: string[] = [],
): Record<string, string> {
  const raw = service.environment ?? {};
  const entries: Array<[string, unknown]> = Array.isArray(raw)
    ? raw.map((item: string) => {
        const [name, ...rest] = item.split('=');

        return [name, rest.join('=')];
      })
    : Object.entries(raw);

  return Object.fromEntries(
    entries.map(([name, value]) => [name, interpolate(String(value ?? ''), unresolved)]),
  );
}

/** `command` as an argv list (compose accepts a string or a list). */
export function composeCommand(service: ComposeService): string[] {
  const { command } = service;
  if (command === undefined) return [];

  return Array.isArray(command) ? command.map(String) : String(command).split(/\s+/);
}
