import { fieldPathSource, placeholderTextSource, TRIGGER_SUBJECTS } from './rule-fields';
import type { TriggerEvent } from './rule.types';

/**
 * The JSON Schema (2020-12) of a rule file, published as `templates/rule.schema.json`: written
 * from this object by `node tools/run-ts.cjs libs/automation-rules/src/cli/write-rule-schema.ts`
 * (then prettier), and a spec fails when the two differ.
 */

const word = { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 64 } as const;
const scalar = { type: ['string', 'number', 'boolean'] } as const;
const scalarList = { type: 'array', items: { type: ['string', 'number'] }, minItems: 1 } as const;
const stringList = { type: 'array', items: { type: 'string' }, minItems: 1 } as const;

/** The fields of one kind (`event` or `type`), when the discriminator says it is that kind. */
const kind = (
  discriminator: 'event' | 'type',
  values: readonly string[],
  fields: Record<string, unknown>,
  required: readonly string[] = [],
) => ({
  if: { properties: { [discriminator]: { enum: values } }, required: [discriminator] },
  then: {
    properties: { [discriminator]: true, ...fields },
    required,
    additionalProperties: false,
  },
});

const trigger = {
  type: 'object',
  required: ['event'],
  properties: {
    event: {
      enum: [
        'contact.created',
        'task.completed',
        'task.open',
        'appointment.status',
        'contact.stale',
      ],
    },
  },
  allOf: [
    kind('event', ['contact.created'], {
      withinHours: { type: 'number', exclusiveMinimum: 0, maximum: 8760 },
    }),
    kind('event', ['task.completed', 'task.open'], {}),
    kind('event', ['appointment.status'], { statuses: stringList }, ['statuses']),
    kind(
      'event',
      ['contact.stale'],
      { staleDays: { type: 'integer', minimum: 1, maximum: 3650 } },
      ['staleDays'],
    ),
  ],
} as const;

const operators = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'includesAny',
  'includesAll',
  'excludesAny',
  'exists',
  'greaterThan',
  'lessThan',
] as const;

const condition = {
  type: 'object',
  required: ['field'],
  properties: {
    field: {
      type: 'string',
      description:
        "A field of the trigger's facts: contact.<field>, contact.customFields.<fieldId>, " +
        'contact.customFieldsByKey.<fieldKey>, and task.<field> or appointment.<field> for ' +
        'the triggers about one (templates/README.md lists them).',
      pattern: `^${fieldPathSource()}$`,
    },
    equals: scalar,
    notEquals: scalar,
    in: scalarList,
    notIn: scalarList,
    includesAny: stringList,
    includesAll: stringList,
    excludesAny: stringList,
    exists: { type: 'boolean' },
    greaterThan: { type: 'number' },
    lessThan: { type: 'number' },
  },
  additionalProperties: false,
  // Exactly one operator: a condition with two would read ambiguously.
  oneOf: operators.map((operator) => ({ required: [operator] })),
} as const;

/** `{{contact.name}}`-style placeholders, each naming a field a condition could read. */
const anyPlaceholders = `^${placeholderTextSource()}$`;

const action = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['create-follow-up', 'notify-team', 'schedule-reminder', 'custom'] },
  },
  allOf: [
    kind(
      'type',
      ['create-follow-up'],
      {
        title: { type: 'string', minLength: 1, maxLength: 200, pattern: anyPlaceholders },
        body: { type: 'string', maxLength: 2000, pattern: anyPlaceholders },
        dueInHours: { type: 'number', minimum: 0, maximum: 8760 },
        assignTo: { type: 'string', minLength: 1, maxLength: 64 },
      },
      ['title'],
    ),
    kind('type', ['notify-team'], { notice: word }, ['notice']),
    kind(
      'type',
      ['schedule-reminder'],
      {
        leadMinutes: {
          type: 'array',
          items: { type: 'integer', minimum: 0, maximum: 525600 },
          minItems: 1,
          maxItems: 5,
          uniqueItems: true,
        },
      },
      ['leadMinutes'],
    ),
    kind('type', ['custom'], { name: word, with: { type: 'object' } }, ['name']),
  ],
} as const;

/**
 * What each trigger's facts give (`TRIGGER_SUBJECTS`): a `contact.created` rule has no task, so
 * its conditions and placeholders may name only contact fields.
 */
const factsOfTrigger = () => {
  const eventsBySubjects = new Map<string, TriggerEvent[]>();
  for (const [event, subjects] of Object.entries(TRIGGER_SUBJECTS)) {
    const key = subjects.join(',');
    eventsBySubjects.set(key, [...(eventsBySubjects.get(key) ?? []), event as TriggerEvent]);
  }

  return [...eventsBySubjects.values()].map((events) => {
    const subjects = TRIGGER_SUBJECTS[events[0]];
    const text = { pattern: `^${placeholderTextSource(subjects)}$` };

    return {
      if: {
        properties: { trigger: { properties: { event: { enum: events } }, required: ['event'] } },
        required: ['trigger'],
      },
      then: {
        properties: {
          conditions: {
            items: { properties: { field: { pattern: `^${fieldPathSource(subjects)}$` } } },
          },
          actions: { items: { properties: { title: text, body: text } } },
        },
      },
    };
  });
};

export const RULE_SCHEMA_ID = 'https://solarmarket.example/schemas/automation-rule.v1.json';

export const ruleSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: RULE_SCHEMA_ID,
  title: 'SolarMarket automation rule',
  description: 'A trigger, conditions that must all hold, and actions that run once per subject.',
  type: 'object',
  required: ['id', 'name', 'trigger', 'actions'],
  properties: {
    id: word,
    name: { type: 'string', minLength: 1, maxLength: 120 },
    description: { type: 'string', maxLength: 2000 },
    trigger,
    conditions: { type: 'array', items: condition, maxItems: 20 },
    actions: { type: 'array', items: action, minItems: 1, maxItems: 10 },
  },
  additionalProperties: false,
  allOf: factsOfTrigger(),
} as const;
