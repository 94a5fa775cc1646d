import Ajv2020 from 'ajv/dist/2020';
import { load } from 'js-yaml';

import { ruleSchema } from './rule.schema';
import type { Rule, RuleOverrides } from './rule.types';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateSchema = ajv.compile<Rule>(ruleSchema);

/** Triggers whose subject has a date a reminder can be set before. */
const DATED_TRIGGERS = new Set(['task.open', 'appointment.status']);

export type RuleCheck = { ok: true; rule: Rule } | { ok: false; errors: string[] };

/** Thrown by `parseRule` and `applyOverrides`; `errors` names each problem. */
export class InvalidRuleError extends Error {
  constructor(
    readonly source: string,
    readonly errors: string[],
  ) {
    super(`${source}: ${errors.join('; ')}`);
    this.name = 'InvalidRuleError';
  }
}

/** Checks a parsed rule against the schema, then what a schema cannot say. */
export function checkRule(candidate: unknown): RuleCheck {
  if (!validateSchema(candidate)) {
    // An `if` error only repeats the `then` errors it stands for.
    const errors = (validateSchema.errors ?? [])
      .filter((error) => error.keyword !== 'if')
      .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);

    return { ok: false, errors: [...new Set(errors)] };
  }
  const reminderWithoutDate = candidate.actions.some(
    (action) => action.type === 'schedule-reminder' && !DATED_TRIGGERS.has(candidate.trigger.event),
  );
  if (reminderWithoutDate) {
    return {
      ok: false,
      errors: ['/actions schedule-reminder needs a task.open or appointment.status trigger'],
    };
  }

  return { ok: true, rule: candidate };
}

/** A rule from YAML or JSON text (JSON is YAML); `source` names the file in errors. */
export function parseRule(text: string, source: string): Rule {
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new InvalidRuleError(source, [`not YAML or JSON: ${(error as Error).message}`]);
  }
  const check = checkRule(parsed);
  if (!check.ok) throw new InvalidRuleError(source, check.errors);

  return check.rule;
}

/**
 * A location's tuning applied to a rule: trigger fields merged, conditions replaced, each
 * action merged with the override at its position. The result is validated like a file.
 */
export function applyOverrides(rule: Rule, overrides: RuleOverrides | null | undefined): Rule {
  if (!overrides) return rule;
  const tuned = {
    ...rule,
    trigger: { ...rule.trigger, ...overrides.trigger },
    conditions: overrides.conditions ?? rule.conditions,
    actions: rule.actions.map((action, index) => ({ ...action, ...overrides.actions?.[index] })),
  };
  const check = checkRule(tuned);
  if (!check.ok) throw new InvalidRuleError(`${rule.id} (overrides)`, check.errors);

  return check.rule;
}
