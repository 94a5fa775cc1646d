import type { z } from 'zod';

import { MAX_TIMER_MS } from '@sm/config';

import { appConfigSchema, appConfigVariables } from './app-config';
import { SANDBOX, SERVICE_NAMES } from './workspace';

const APPS = [...SERVICE_NAMES, SANDBOX.name];

/** The milliseconds field's message for a value past the longest timer. */
const TOO_LONG = `must be at most ${MAX_TIMER_MS} (the longest timer Node holds, ~24.8 days)`;

/**
 * Lists whose blank value is a list of nothing, not the default list: an empty file list turns
 * one webhook signature scheme off (README, webhook-ingress).
 */
const BLANK_IS_EMPTY_LIST = ['WEBHOOK_ED25519_PUBLIC_KEY_FILES', 'WEBHOOK_RSA_PUBLIC_KEY_FILES'];

function fieldOf(app: string, name: string): z.ZodType {
  return appConfigSchema(app).shape[name] as z.ZodType;
}

/** Whether a value parses, and to what; the message is left out (it may name the value). */
function outcome(field: z.ZodType, value: string | undefined) {
  const result = field.safeParse(value);

  return result.success ? { parses: true, data: result.data } : { parses: false };
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

  it('reads a blank value as the variable unset', () => {
    const names = variables.filter((name) => !BLANK_IS_EMPTY_LIST.includes(name));

    const blank = names.map((name) => [name, outcome(fieldOf(app, name), '')]);
    const unset = names.map((name) => [name, outcome(fieldOf(app, name), undefined)]);

    expect(blank).toEqual(unset);
  });
});
