import Ajv2020 from 'ajv/dist/2020';
import { load } from 'js-yaml';

import { fieldProblem, placeholderProblems, TRIGGER_SUBJECTS } from './rule-fields';
import { ruleSchema } from './rule.schema';
import type { Rule, RuleOverrides, TriggerEvent } from './rule.types';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateSchema = ajv.compile<Rule>(ruleSchema);

/** Triggers whose subject has a date a reminder can be set before. */
const DATED_TRIGGERS = new Set(['task.open', 'appointment.status']);

export type RuleCheck = { ok: true; rule: Rule } | { ok: false; errors: string[] };

/** Thrown by `parseRule`, `parseOverrides` and `applyOverrides`; `errors` names each problem. */
export class InvalidRuleError extends Error {
  constructor(
    readonly source: string,
    readonly errors: string[],
  ) {
    super(`${source}: ${errors.join('; ')}`);
    this.name = 'InvalidRuleError';
  }
}

/**
 * Checks a parsed rule against the schema, then what a schema cannot say well: each condition
 * field and placeholder is one the trigger's facts have (the schema's patterns say so too, for
 * editors, but name no field), and reminders need a dated trigger.
 */
export function checkRule(candidate: unknown): RuleCheck {
  const factErrors = ruleFactErrors(candidate);
  const isValid = validateSchema(candidate);
  if (!isValid || factErrors.size > 0) {
    // An `if` error only repeats the `then` errors it stands for; a field's pattern error only
    // repeats, without the field's name, what `factErrors` says of it.
    const schemaErrors = (validateSchema.errors ?? [])
      .filter((error) => error.keyword !== 'if')
      .filter((error) => !(error.keyword === 'pattern' && factErrors.has(error.instancePath)))
      .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
    const fieldErrors = [...factErrors].flatMap(([where, problems]) =>
      problems.map((problem) => `${where} ${problem}`),
    );

    return { ok: false, errors: [...new Set([...schemaErrors, ...fieldErrors])] };
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

/**
 * The condition fields and placeholders of a rule that its trigger's facts do not have, by
 * where they are (`/conditions/0/field`). Reads the candidate as far as it has the shape of a
 * rule; the schema names whatever else is wrong.
 */
function ruleFactErrors(candidate: unknown): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  if (!isPlainObject(candidate)) return errors;
  const event = triggerEvent(candidate.trigger);
  const conditions = Array.isArray(candidate.conditions) ? candidate.conditions : [];
  conditions.forEach((condition, index) => {
    const field = isPlainObject(condition) ? condition.field : undefined;
    const problem = typeof field === 'string' ? fieldProblem(field, event) : undefined;
    if (problem) errors.set(`/conditions/${index}/field`, [problem]);
  });
  const actions = Array.isArray(candidate.actions) ? candidate.actions : [];
  actions.forEach((action, index) => {
    for (const key of ['title', 'body']) {
      const text = isPlainObject(action) ? action[key] : undefined;
      const problems = typeof text === 'string' ? placeholderProblems(text, event) : [];
      if (problems.length > 0) errors.set(`/actions/${index}/${key}`, problems);
    }
  });

  return errors;
}

/** The trigger's event, when it is one: a rule without a known one may read every subject. */
function triggerEvent(trigger: unknown): TriggerEvent | undefined {
  const event = isPlainObject(trigger) ? trigger.event : undefined;

  return typeof event === 'string' && Object.hasOwn(TRIGGER_SUBJECTS, event)
    ? (event as TriggerEvent)
    : undefined;
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

/** The fields a tuning may have; anything else is a typo the rule would silently ignore. */
const TUNING_FIELDS = ['trigger', 'conditions', 'actions'];

/**
 * A location's tuning as an operator wrote it (the admin API, the automation file), checked
 * before it is kept: `undefined` or `null` is no tuning; anything else must be an object with
 * only `trigger` (an object), `conditions` (a list) and `actions` (a list of objects, at most one
 * per action of the rule), and the tuned rule must pass the schema. Throws `InvalidRuleError`
 * naming each problem.
 */
export function parseOverrides(rule: Rule, value: unknown): RuleOverrides | undefined {
  if (value === undefined || value === null) return undefined;
  const errors = overrideShapeErrors(rule, value);
  if (errors.length > 0) throw new InvalidRuleError(`${rule.id} (overrides)`, errors);
  applyOverrides(rule, value as RuleOverrides);

  return value as RuleOverrides;
}

function overrideShapeErrors(rule: Rule, value: unknown): string[] {
  if (!isPlainObject(value)) {
    return ['overrides must be an object with trigger, conditions or actions'];
  }
  const errors = Object.keys(value)
    .filter((key) => !TUNING_FIELDS.includes(key))
    .map((key) => `overrides.${key} is not a tuning field (trigger, conditions, actions)`);
  if (value.trigger !== undefined && !isPlainObject(value.trigger)) {
    errors.push('overrides.trigger must be an object of trigger fields');
  }
  if (value.conditions !== undefined && !Array.isArray(value.conditions)) {
    errors.push('overrides.conditions must be a list of conditions');
  }
  if (value.actions !== undefined) errors.push(...actionOverrideErrors(rule, value.actions));

  return errors;
}

function actionOverrideErrors(rule: Rule, actions: unknown): string[] {
  if (!Array.isArray(actions)) return ['overrides.actions must be a list of objects'];
  const errors = actions.flatMap((action, index) =>
    isPlainObject(action) ? [] : [`overrides.actions[${index}] must be an object`],
  );
  if (actions.length > rule.actions.length) {
    errors.push(
      `overrides.actions has ${actions.length} entries; the rule has ${rule.actions.length}`,
    );
  }

  return errors;
}

/** A JSON or YAML mapping: an object that is not a list. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A location's tuning applied to a rule: trigger fields merged, conditions replaced, each
 * action merged with the override at its position. The result is validated like a file.
 * Fields other than those three are not read: `parseOverrides` refuses them before a tuning is
 * kept, and a tuning stored before it did still runs as it always has.
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
