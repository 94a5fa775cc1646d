import type { z } from 'zod';

import { MAX_TIMER_MS } from '@sm/config';

import { appConfigSchema, appConfigVariables } from './app-config';
import { SANDBOX, SERVICE_NAMES } from './workspace';

const APPS = [...SERVICE_NAMES, SANDBOX.name];

/** The milliseconds field's message for a value past the longest timer. */
const TOO_LONG = `must be at most ${MAX_TIMER_MS} (the longest timer Node holds, ~24.8 days)`;

function fieldOf(app: string, name: string): z.ZodType {
  return appConfigSchema(app).shape[name] as z.ZodType;
}

describe.each(APPS)("every variable of %s's env schema", (app) => {
  const variables = appConfigVariables(app);
  const durations = variables.filter((name) => name.endsWith('_MS'));

  it('takes each *_MS as milliseconds, up to the longest timer Node holds', () => {
    const read = Object.fromEntries(
      durations.map((name) => [
        name,
        {
          longest: fieldOf(app, name).safeParse(String(MAX_TIMER_MS)).success,
          past: fieldOf(app, name)
            .safeParse(String(MAX_TIMER_MS + 1))
            .error?.issues.map((issue) => issue.message),
        },
      ]),
    );

    expect(read).toEqual(
      Object.fromEntries(durations.map((name) => [name, { longest: true, past: [TOO_LONG] }])),
    );
  });
});
