import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { load } from 'js-yaml';

import { checkRule, InvalidRuleError, isPlainObject, parseRule } from './rule-validator';
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

/**
 * Reads and validates the operator's automation file; an invalid one stops the boot. The file
 * is a mapping with `rules` (a list of rules) and `locations` (location id or `"*"` → rule id →
 * `{ enabled, overrides }`); `{}` has neither, and so has a file of nothing but blank lines
 * and comments (a ConfigMap's placeholder), or a location with nothing under it. Anything else,
 * an unknown key included, is an `InvalidRuleError` naming each problem. Whether the rule ids
 * exist and the tunings fit their rules is for the caller, who knows every rule.
 */
export function parseAutomationFile(text: string, source: string): AutomationFile {
  if (isBlankYaml(text)) return { rules: [], locations: {} };
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new InvalidRuleError(source, [`not YAML or JSON: ${(error as Error).message}`]);
  }
  if (!isPlainObject(parsed)) {
    throw new InvalidRuleError(source, [
      'is not an automation file (a mapping with rules and locations)',
    ]);
  }
  const errors = Object.keys(parsed)
    .filter((key) => key !== 'rules' && key !== 'locations')
    .map((key) => `${key} is unknown (an automation file has rules and locations)`);
  const rules = fileRules(parsed.rules ?? [], errors);
  const locations = fileLocations(parsed.locations ?? {}, errors);
  if (errors.length > 0) throw new InvalidRuleError(source, errors);

  return { rules, locations };
}

function fileRules(value: unknown, errors: string[]): Rule[] {
  if (!Array.isArray(value)) {
    errors.push('rules must be a list of rules');

    return [];
  }

  return value.flatMap((candidate, index) => {
    const check = checkRule(candidate);
    if (check.ok) return [check.rule];
    const id = isPlainObject(candidate) && typeof candidate.id === 'string' ? candidate.id : '';
    const rule = id ? `rules[${index}] (${id})` : `rules[${index}]`;
    errors.push(...check.errors.map((error) => `${rule} ${error}`));

    return [];
  });
}

function fileLocations(value: unknown, errors: string[]): AutomationFile['locations'] {
  if (!isPlainObject(value)) {
    errors.push('locations must map location ids (or "*") to their rule settings');

    return {};
  }
  for (const [locationId, settings] of Object.entries(value)) {
    if (settings === null) continue; // `loc-1:` with nothing under it
    if (!isPlainObject(settings)) {
      errors.push(`locations.${locationId} must map rule ids to { enabled, overrides }`);
      continue;
    }
    for (const [ruleId, setting] of Object.entries(settings)) {
      errors.push(...settingErrors(`locations.${locationId}.${ruleId}`, setting));
    }
  }

  const withSettings = Object.entries(value).filter(([, settings]) => settings !== null);

  return Object.fromEntries(withSettings) as AutomationFile['locations'];
}

function settingErrors(where: string, setting: unknown): string[] {
  if (!isPlainObject(setting)) return [`${where} must be a mapping with enabled (and overrides)`];
  const errors = Object.keys(setting)
    .filter((key) => key !== 'enabled' && key !== 'overrides')
    .map((key) => `${where}.${key} is unknown (a setting has enabled and overrides)`);
  if (setting.enabled === undefined) errors.push(`${where}.enabled is required`);
  else if (typeof setting.enabled !== 'boolean')
    errors.push(`${where}.enabled must be true or false`);

  return errors;
}

function assertUniqueIds(rules: Rule[], source: string): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.id)) throw new InvalidRuleError(source, [`rule id ${rule.id} is repeated`]);
    seen.add(rule.id);
  }
}

/** Only blank lines, `#` comments and document markers (`---`, `...`): an empty document. */
function isBlankYaml(text: string): boolean {
  return text
    .split(/\r\n|\r|\n/)
    .every((line) => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*(#.*)?$/.test(line));
}
