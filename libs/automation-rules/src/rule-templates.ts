import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { load } from 'js-yaml';

import { checkRule, InvalidRuleError, parseRule } from './rule-validator';
import type { Rule, RuleOverrides } from './rule.types';

/** One location's choice for one rule: on or off, and how it is tuned. */
export interface RuleSetting {
  enabled: boolean;
  overrides?: RuleOverrides;
}

/**
 * The operator's automation file (`AUTOMATION_RULES_FILE`): rules of their own, and per
 * location (or `"*"` for every location) which rules are enabled and how they are tuned.
 */
export interface AutomationFile {
  rules: Rule[];
  locations: Record<string, Record<string, RuleSetting>>;
}

/** Every location, in `AutomationFile.locations`. */
export const ANY_LOCATION = '*';

/**
 * The folder holding the built-in templates: `templates/` at the workspace root in a checkout,
 * `/app/templates` in the image. Found by walking up, as sources and their compiled copy in
 * `dist/` sit at different depths.
 */
export function builtInTemplatesDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'templates');
    if (existsSync(path.join(candidate, 'rule.schema.json'))) return candidate;
    if (path.dirname(dir) === dir) return path.join(process.cwd(), 'templates');
  }
}

/** Every `*.yaml`, `*.yml` or `*.json` rule of a folder (the schema file aside), by id. */
export function loadRuleFolder(dir: string): Rule[] {
  const files = readdirSync(dir)
    .filter((file) => /\.(ya?ml|json)$/.test(file) && !file.endsWith('.schema.json'))
    .sort();
  const rules = files.map((file) =>
    parseRule(readFileSync(path.join(dir, file), 'utf8'), path.join(dir, file)),
  );
  assertUniqueIds(rules, dir);

  return rules;
}

/** Reads and validates the operator's automation file; an invalid one stops the boot. */
export function parseAutomationFile(text: string, source: string): AutomationFile {
  const parsed = (load(text) ?? {}) as Partial<Record<keyof AutomationFile, unknown>>;
  const rules = ((parsed.rules ?? []) as unknown[]).map((candidate, index) => {
    const check = checkRule(candidate);
    if (!check.ok) throw new InvalidRuleError(`${source} rules[${index}]`, check.errors);

    return check.rule;
  });
  const locations = (parsed.locations ?? {}) as AutomationFile['locations'];
  for (const [locationId, settings] of Object.entries(locations)) {
    for (const [ruleId, setting] of Object.entries(settings ?? {})) {
      if (typeof setting?.enabled !== 'boolean') {
        throw new InvalidRuleError(source, [
          `locations.${locationId}.${ruleId}.enabled is required`,
        ]);
      }
    }
  }

  return { rules, locations };
}

function assertUniqueIds(rules: Rule[], source: string): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.id)) throw new InvalidRuleError(source, [`rule id ${rule.id} is repeated`]);
    seen.add(rule.id);
  }
}
