import { z } from 'zod';

import { loadConfig, positiveInt } from '@sm/config';

/** The most contacts the bundled sandbox seeds in one location. */
const MOST_CONTACTS = 1_000_000;

const demoSettingsSchema = z.object({
  DEMO_CONTACTS: positiveInt(300, MOST_CONTACTS),
  DEMO_BURST_LIMIT: positiveInt(1000),
});

export interface DemoSettings {
  contacts: number;
  sandboxBurstLimit: number;
}

/**
 * The demo's own numeric settings, checked before it resets anything: a bad value is named by
 * its variable, not by the sandbox setting it would have become.
 */
export function demoSettings(env: NodeJS.ProcessEnv = process.env): DemoSettings {
  const settings = loadConfig(demoSettingsSchema, env);

  return { contacts: settings.DEMO_CONTACTS, sandboxBurstLimit: settings.DEMO_BURST_LIMIT };
}
