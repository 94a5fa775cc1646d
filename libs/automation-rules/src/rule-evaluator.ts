import { FactSubject, PLACEHOLDER, RULE_FIELDS } from './rule-fields';
import type { Rule, RuleCondition } from './rule.types';

/**
 * What conditions read: the contact and, for task and appointment triggers, the task or
 * appointment itself. Values are SolarMarket's records (dates as Date or ISO strings).
 */
export interface RuleFacts {
  contact: object;
  task?: object;
  appointment?: object;
}

type Scalar = string | number | boolean;

/** True when every condition of the rule holds for the facts. */
export function conditionsHold(rule: Rule, facts: RuleFacts): boolean {
  return (rule.conditions ?? []).every((condition) => conditionHolds(condition, facts));
}

export function conditionHolds(condition: RuleCondition, facts: RuleFacts): boolean {
  const value = readField(facts, condition.field);
  const values = asList(value);
  const { equals, notEquals, in: oneOf, notIn } = condition;
  const isAny = (wanted: Array<string | number | boolean>) =>
    values.some((item) => wanted.some((want) => same(item, want)));

  if (condition.exists !== undefined) return condition.exists === values.length > 0;
  if (equals !== undefined) return isAny([equals]);
  if (notEquals !== undefined) return !isAny([notEquals]);
  if (oneOf) return isAny(oneOf);
  if (notIn) return !isAny(notIn);
  if (condition.includesAny) return condition.includesAny.some((want) => isAny([want]));
  if (condition.includesAll) return condition.includesAll.every((want) => isAny([want]));
  if (condition.excludesAny) return !condition.excludesAny.some((want) => isAny([want]));
  if (condition.greaterThan !== undefined) return numberOf(value) > condition.greaterThan;
  if (condition.lessThan !== undefined) return numberOf(value) < condition.lessThan;

  return false;
}

/** Field paths split once: rules read the same few fields of every contact. */
const fieldPaths = new Map<string, string[]>();

/**
 * `contact.customFields.abc` → facts.contact.customFields.abc; undefined when any part is. The
 * key of a keyed field is the rest of the path, dots included: `contact.customFieldsByKey.
 * contact.roof_type` reads the key `contact.roof_type`.
 */
export function readField(facts: RuleFacts, field: string): unknown {
  let path = fieldPaths.get(field);
  if (!path) {
    path = splitField(field);
    // Fields come from rules and templates, a bounded set; the bound keeps a misuse harmless.
    if (fieldPaths.size < 10_000) fieldPaths.set(field, path);
  }
  let value: unknown = facts;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }

  return value;
}

function splitField(field: string): string[] {
  const parts = field.split('.');
  const [subject, name] = parts;
  const isKeyed =
    parts.length > 2 &&
    Object.hasOwn(RULE_FIELDS, subject) &&
    RULE_FIELDS[subject as FactSubject].keyed.includes(name);

  return isKeyed ? [subject, name, parts.slice(2).join('.')] : parts;
}

/**
 * Fills `{{contact.name}}`-style placeholders from the facts; a field without a value becomes
 * empty. The validator refuses a placeholder naming no field the rule's trigger gives; one that
 * reaches here all the same renders empty.
 */
export function renderText(template: string, facts: RuleFacts): string {
  return template.replace(PLACEHOLDER, (_, field: string) => {
    const value = readField(facts, field);

    return value === null || value === undefined ? '' : String(value);
  });
}

function asList(value: unknown): Scalar[] {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value)) return value.filter(isScalar);

  return isScalar(value) ? [value] : [];
}

function isScalar(value: unknown): value is Scalar {
  const type = typeof value;

  return type === 'string' || type === 'number' || type === 'boolean';
}

function same(a: Scalar, b: Scalar): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();

  return String(a) === String(b);
}

function numberOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const parsed = typeof value === 'number' ? value : Number(value);

  return Number.isFinite(parsed) ? parsed : Number.NaN;
}
