import { z } from 'zod';

import { emptyIsUnset, flag, logLevel, optional, port, positiveInt, url } from '@sm/config';

export interface SandboxLocationSpec {
  locationId: string;
  contacts: number;
}

/** `SANDBOX_LOCATIONS`: `locationId:contactCount`, comma-separated. */
const locations = z
  .string()
  .default('SMsandboxLocation001:300')
  .transform((value, context): SandboxLocationSpec[] => {
    const specs = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => {
        const [locationId, count] = item.split(':');

        return { locationId, contacts: Number(count) };
      });
    const isMalformed = (spec: SandboxLocationSpec) =>
      !/^[A-Za-z0-9_-]{1,64}$/.test(spec.locationId ?? '') ||
      !Number.isInteger(spec.contacts) ||
      spec.contacts < 0 ||
      spec.contacts > 1_000_000;
    if (specs.length === 0 || specs.some(isMalformed)) {
      context.addIssue({
        code: 'custom',
        message: 'must be locationId:contactCount pairs, comma-separated (0 to 1,000,000)',
      });

      return z.NEVER;
    }

    return specs;
  });

/** Any text, `fallback` when unset or blank. */
const text = (fallback: string) => emptyIsUnset(z.string().default(fallback));

export const sandboxConfigSchema = z.object({
  PORT: port(4010),
  /** Loopback by default: the sandbox is a test tool and has no business on a network. */
  HOST: text('127.0.0.1'),
  LOG_LEVEL: logLevel('info'),
  SANDBOX_SEED: emptyIsUnset(z.coerce.number({ message: 'must be an integer' }).int().default(42)),
  SANDBOX_LOCATIONS: emptyIsUnset(locations),
  SANDBOX_COMPANY_ID: text('SMsandboxCompany0001'),
  SANDBOX_CLIENT_ID: text('sandbox-app-client'),
  SANDBOX_CLIENT_SECRET: text('sandbox-app-secret'),
  /** Where the sandbox posts its webhooks (the ingress' `/webhooks/ghl`). Unset: none. */
  SANDBOX_WEBHOOK_URL: optional(url()),
  SANDBOX_RATE_LIMITS: flag(true),
  SANDBOX_ACCESS_TOKEN_TTL_SECONDS: positiveInt(86399),
});

export type SandboxConfig = z.infer<typeof sandboxConfigSchema>;
