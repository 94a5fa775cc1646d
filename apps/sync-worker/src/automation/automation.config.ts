import { z } from 'zod';

import { cronPattern, csv, milliseconds, optional, positiveInt } from '@sm/config';

import { checkRuleCatalog, RuleCatalogSettings } from './rules/rule-catalog';

/** The automation module's name among the `sync-completed` consumers (its own queue). */
export const AUTOMATION_CONSUMER = 'automation';

/** The automation fields of the sync worker's environment (spread into `syncWorkerEnv`). */
export const automationEnv = {
  /**
   * The operator's automation file (YAML or JSON): rules of their own, and per location which
   * rules are enabled and how they are tuned. Relative paths are read from the working folder.
   * Read and checked with the rules by `checkAutomationEnv`.
   */
  AUTOMATION_RULES_FILE: optional(z.string()),
  /** Rule ids enabled for every location without a setting of its own (comma-separated). */
  AUTOMATION_ENABLED_RULES: csv([]),
  /** When the stale-lead scan runs (UTC). */
  AUTOMATION_STALE_SCAN_CRON: cronPattern('30 2 * * *'),
  /**
   * New effects (nudges) one stale-lead scan makes per location at most; the stale contacts
   * beyond wait for the next run, which finds those already nudged done.
   */
  AUTOMATION_STALE_SCAN_CAP: positiveInt(1_000),
  /** How long a worker may act on a claimed effect before a retry takes it over (ms). */
  AUTOMATION_EFFECT_LEASE_MS: milliseconds(120_000),
  /** `sync-completed` events the automation consumer handles at once. */
  AUTOMATION_CONSUMER_CONCURRENCY: positiveInt(1000),
  /** Contacts of one location evaluated together at most. */
  AUTOMATION_BATCH_SIZE: positiveInt(500),
  /** How long an event waits for others to share its evaluation (ms). */
  AUTOMATION_BATCH_LINGER_MS: milliseconds(5, { min: 0 }),
  /** How long a location's rule settings are cached in one process (ms). */
  AUTOMATION_SETTINGS_TTL_MS: milliseconds(5_000, { min: 0 }),
};

export type AutomationConfig = z.infer<z.ZodObject<typeof automationEnv>>;

/**
 * The automation checks a field cannot make alone (a refinement of the whole environment): the
 * rules file is readable and an automation file whose settings fit their rules, and every id in
 * `AUTOMATION_ENABLED_RULES` names a rule, a built-in or the file's. Each problem is an issue on
 * the variable, so the boot and `--check-config` name it.
 */
export function checkAutomationEnv(
  config: RuleCatalogSettings,
  context: z.RefinementCtx<RuleCatalogSettings>,
): void {
  for (const { variable, message } of checkRuleCatalog(config).problems) {
    context.addIssue({ code: 'custom', path: [variable], message });
  }
}
