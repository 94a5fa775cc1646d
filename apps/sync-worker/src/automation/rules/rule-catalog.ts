import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  AutomationFile,
  builtInTemplatesDir,
  InvalidRuleError,
  loadRuleFolder,
  parseAutomationFile,
  parseOverrides,
  Rule,
} from '@sm/automation-rules';
import { ConfigError } from '@sm/config';

/** The variables that say which rules exist and which are on (see `automationEnv`). */
export interface RuleCatalogSettings {
  AUTOMATION_RULES_FILE?: string;
  AUTOMATION_ENABLED_RULES: string[];
}

/** Every rule this worker knows, by id (the built-ins, then the operator's), and their file. */
export interface RuleCatalog {
  rules: Map<string, Rule>;
  file: AutomationFile;
}

/** What is wrong with one variable; the message never repeats the variable's value. */
export interface RuleCatalogProblem {
  variable: keyof RuleCatalogSettings;
  message: string;
}

/**
 * Reads the rules as the worker will run them, and says what would stop them: an operator's
 * file that cannot be read or is not an automation file, a rule id repeated, a setting for a
 * rule that does not exist or a tuning that does not fit its rule, an enabled id that names no
 * rule. Run by the config check (`--check-config` and boot) and by the rule book.
 */
export function checkRuleCatalog(settings: RuleCatalogSettings): {
  catalog: RuleCatalog;
  problems: RuleCatalogProblem[];
} {
  const problems: RuleCatalogProblem[] = [];
  const fileProblem = (message: string) =>
    problems.push({ variable: 'AUTOMATION_RULES_FILE', message });
  const file = readOperatorFile(settings.AUTOMATION_RULES_FILE, fileProblem);
  const rules = new Map(loadRuleFolder(builtInTemplatesDir()).map((rule) => [rule.id, rule]));
  for (const rule of file.rules) {
    if (rules.has(rule.id)) fileProblem(`rule id ${rule.id} is repeated`);
    rules.set(rule.id, rule);
  }
  for (const [locationId, locationSettings] of Object.entries(file.locations)) {
    for (const [ruleId, setting] of Object.entries(locationSettings)) {
      const where = `locations.${locationId}.${ruleId}`;
      const rule = rules.get(ruleId);
      if (!rule) fileProblem(`${where}: no such rule`);
      else
        settingErrors(rule, setting.overrides).forEach((error) =>
          fileProblem(`${where}: ${error}`),
        );
    }
  }
  for (const ruleId of settings.AUTOMATION_ENABLED_RULES) {
    if (rules.has(ruleId)) continue;
    problems.push({
      variable: 'AUTOMATION_ENABLED_RULES',
      message: `no rule ${ruleId} (the rules are ${[...rules.keys()].join(', ')})`,
    });
  }

  return { catalog: { rules, file }, problems };
}

/** The catalog, or a `ConfigError` naming each variable that is wrong and how. */
export function readRuleCatalog(settings: RuleCatalogSettings): RuleCatalog {
  const { catalog, problems } = checkRuleCatalog(settings);
  if (problems.length > 0) {
    throw new ConfigError(problems.map(({ variable, message }) => `${variable}: ${message}`));
  }

  return catalog;
}

function readOperatorFile(
  file: string | undefined,
  problem: (message: string) => void,
): AutomationFile {
  const none: AutomationFile = { rules: [], locations: {} };
  if (!file) return none;
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    problem(unreadable(error as NodeJS.ErrnoException));

    return none;
  }
  try {
    return parseAutomationFile(text, resolved);
  } catch (error) {
    if (!(error instanceof InvalidRuleError)) throw error;
    error.errors.forEach(problem);

    return none;
  }
}

function unreadable(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file';
  if (error.code === 'EISDIR') return 'is a folder, not a file';
  if (error.code === 'EACCES') return 'cannot be read (permission denied)';

  return `cannot be read (${error.code ?? error.message})`;
}

function settingErrors(rule: Rule, overrides: unknown): string[] {
  try {
    parseOverrides(rule, overrides);

    return [];
  } catch (error) {
    if (!(error instanceof InvalidRuleError)) throw error;

    return error.errors;
  }
}
