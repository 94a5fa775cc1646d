import { readFileSync } from 'node:fs';
import path from 'node:path';

import Ajv2020 from 'ajv/dist/2020';

import { conditionHolds, readField, renderText } from './rule-evaluator';
import { builtInTemplatesDir, loadRuleFolder, parseAutomationFile } from './rule-templates';
import {
  applyOverrides,
  checkRule,
  InvalidRuleError,
  parseOverrides,
  parseRule,
} from './rule-validator';
import { ruleSchema } from './rule.schema';

const validRule = `
id: vip-follow-up
name: VIP follow-up
trigger: { event: contact.created, withinHours: 12 }
conditions:
  - { field: contact.tags, includesAny: [vip] }
actions:
  - { type: create-follow-up, title: 'Call {{contact.name}}' }
`;

describe('the rule schema', () => {
  it('is published as templates/rule.schema.json, equal to the one the code validates with', () => {
    const published = JSON.parse(
      readFileSync(path.join(builtInTemplatesDir(), 'rule.schema.json'), 'utf8'),
    );

    expect(published).toEqual(JSON.parse(JSON.stringify(ruleSchema)));
  });

  it('accepts every built-in template', () => {
    const ids = loadRuleFolder(builtInTemplatesDir()).map((rule) => rule.id);

    expect(ids).toEqual(
      expect.arrayContaining([
        'new-lead-follow-up',
        'task-completed-team-notice',
        'appointment-reminder',
        'no-show-follow-up',
        'stale-lead-nudge',
      ]),
    );
  });
});

describe('parseRule', () => {
  it('reads a YAML rule', () => {
    const rule = parseRule(validRule, 'vip.yaml');

    expect(rule.trigger).toEqual({ event: 'contact.created', withinHours: 12 });
  });

  it.each([
    ['an unknown trigger', validRule.replace('contact.created', 'contact.exploded')],
    [
      'a condition with two operators',
      validRule.replace('includesAny: [vip]', 'includesAny: [vip], exists: true'),
    ],
    ['a follow-up without a title', validRule.replace(", title: 'Call {{contact.name}}'", '')],
    ['an unknown field', `${validRule}\nowner: me\n`],
    [
      'a reminder on a contact trigger',
      validRule.replace(/- \{ type: create.*/, '- { type: schedule-reminder, leadMinutes: [5] }'),
    ],
  ])('refuses %s', (_, text) => {
    expect(() => parseRule(text, 'bad.yaml')).toThrow(InvalidRuleError);
  });
});

describe('the fields a rule reads', () => {
  const rule = (trigger: object, conditions: object[], title = 'Call') => ({
    id: 'field-check',
    name: 'Field check',
    trigger,
    conditions,
    actions: [{ type: 'create-follow-up', title }],
  });
  const newContact = { event: 'contact.created' };
  const openTask = { event: 'task.open' };
  const errorsOf = (candidate: unknown): string[] => {
    const check = checkRule(candidate);

    return check.ok ? [] : check.errors;
  };

  it('refuses a condition on a field the contact has not, naming it and the fields it has', () => {
    const errors = errorsOf(rule(newContact, [{ field: 'contact.nmae', equals: 'x' }]));

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/conditions\/0\/field contact\.nmae is not a contact field /);
    expect(errors[0]).toContain('(did you mean contact.name?)');
    expect(errors[0]).toContain('; contact fields: id, locationId, name, firstName, lastName');
    expect(errors[0]).toContain('customFields.<fieldId>, customFieldsByKey.<fieldKey>');
  });

  it('refuses a placeholder naming a field the contact has not', () => {
    const errors = errorsOf(rule(newContact, [], 'Call {{contact.nmae}}'));

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^\/actions\/0\/title \{\{contact\.nmae\}\}: contact\.nmae is not a contact field /,
    );
    expect(errors[0]).toContain('(did you mean contact.name?)');
  });

  it.each([
    ['an unclosed placeholder', 'Call {{contact.name', 'has a {{ without its }}, at character 6'],
    ['a }} that closes nothing', 'Call contact.name}}', 'has a }} that ends no placeholder'],
    ['an empty placeholder', 'Call {{ }}', '{{ }}: names no field'],
    ['a placeholder with a space', 'Call {{contact name}}', 'contact name is not a field'],
  ])('refuses %s', (_, title, message) => {
    const errors = errorsOf(rule(newContact, [], title));

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/actions\/0\/title /);
    expect(errors[0]).toContain(message);
  });

  it('refuses a task or appointment field on a trigger whose facts have none', () => {
    const errors = errorsOf(rule(newContact, [{ field: 'task.title', exists: true }]));

    expect(errors).toEqual([
      '/conditions/0/field task.title reads the task, which a contact.created rule has not: ' +
        'it reads contact.*',
    ]);
    expect(
      errorsOf(rule(openTask, [{ field: 'task.title', exists: true }], '{{task.title}}')),
    ).toEqual([]);
    expect(errorsOf(rule(openTask, [{ field: 'appointment.status', exists: true }]))).toEqual([
      expect.stringMatching(/appointment\.status reads the appointment, which a task\.open rule/),
    ]);
  });

  it('reads a custom field by id or by its dotted GHL key, and refuses one without a key', () => {
    const byKey = 'contact.customFieldsByKey.contact.roof_type';
    const facts = { contact: { customFieldsByKey: { 'contact.roof_type': 'flat' } } };

    expect(
      errorsOf(rule(newContact, [{ field: byKey, equals: 'flat' }], `{{ ${byKey} }}`)),
    ).toEqual([]);
    expect(readField(facts, byKey)).toBe('flat');
    expect(errorsOf(rule(newContact, [{ field: 'contact.customFields', exists: true }]))).toEqual([
      '/conditions/0/field contact.customFields needs a key: contact.customFields.<fieldId>',
    ]);
  });

  it('refuses a tuning, stored or sent, whose conditions name a field the rule has not', () => {
    const tuned = parseRule(validRule, 'vip.yaml');

    expect(() =>
      applyOverrides(tuned, { conditions: [{ field: 'contact.tag', includesAny: ['vip'] }] }),
    ).toThrow(/contact\.tag is not a contact field \(did you mean contact\.tags\?\)/);
  });

  describe('the published schema', () => {
    const published = JSON.parse(
      readFileSync(path.join(builtInTemplatesDir(), 'rule.schema.json'), 'utf8'),
    );
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(published);
    const staleLead = { event: 'contact.stale', staleDays: 3 };
    const byKey = 'contact.customFieldsByKey.contact.roof_type';

    it.each([
      ['a contact field and placeholder', rule(newContact, [], 'Hi {{ contact.name }} {x}'), true],
      ['a misspelt field', rule(newContact, [{ field: 'contact.nmae', exists: true }]), false],
      ['a misspelt placeholder', rule(newContact, [], 'Call {{contact.nmae}}'), false],
      ['an unclosed placeholder', rule(newContact, [], 'Call {{contact.name'), false],
      ['a {{ starting no placeholder', rule(newContact, [], 'Call {{{contact.name}}'), false],
      ['a }} ending none', rule(newContact, [], 'Call }}'), false],
      [
        'a task field on a contact',
        rule(newContact, [{ field: 'task.title', exists: true }]),
        false,
      ],
      ['a task field on a task', rule(openTask, [{ field: 'task.title', exists: true }]), true],
      ['an appointment placeholder', rule(staleLead, [], '{{appointment.title}}'), false],
      ['a dotted custom field key', rule(newContact, [{ field: byKey, exists: true }]), true],
      ['a map without a key', rule(newContact, [{ field: 'contact.tags.x', exists: true }]), false],
    ])('agrees with the validator on %s', (_, candidate, valid) => {
      expect([validate(candidate), checkRule(candidate).ok]).toEqual([valid, valid]);
    });
  });
});

describe('applyOverrides', () => {
  it('merges trigger and action fields, replaces conditions, and validates the result', () => {
    const rule = parseRule(validRule, 'vip.yaml');

    const tuned = applyOverrides(rule, {
      trigger: { withinHours: 48 },
      conditions: [{ field: 'contact.source', equals: 'facebook' }],
      actions: [{ dueInHours: 2 }],
    });

    expect(tuned.trigger).toEqual({ event: 'contact.created', withinHours: 48 });
    expect(tuned.conditions).toEqual([{ field: 'contact.source', equals: 'facebook' }]);
    expect(tuned.actions[0]).toMatchObject({ title: 'Call {{contact.name}}', dueInHours: 2 });
    expect(() => applyOverrides(rule, { trigger: { withinHours: -1 } })).toThrow(InvalidRuleError);
  });
});

describe('parseOverrides', () => {
  const rule = parseRule(validRule, 'vip.yaml');
  const refusal = (overrides: unknown): string[] => {
    try {
      parseOverrides(rule, overrides);
    } catch (error) {
      return (error as InvalidRuleError).errors;
    }
    throw new Error('accepted');
  };

  it('keeps a tuning that fits the rule, and takes none for no tuning', () => {
    const tuning = { conditions: [{ field: 'contact.tags', includesAny: ['solar-lead'] }] };

    expect(parseOverrides(rule, tuning)).toEqual(tuning);
    expect(parseOverrides(rule, undefined)).toBeUndefined();
    expect(parseOverrides(rule, null)).toBeUndefined();
  });

  it.each([
    [
      'a misspelt field',
      { condition: [{ field: 'contact.tags', includesAny: ['solar-lead'] }] },
      'overrides.condition is not a tuning field (trigger, conditions, actions)',
    ],
    ['a string', 'junk', 'overrides must be an object with trigger, conditions or actions'],
    ['a list', [1], 'overrides must be an object with trigger, conditions or actions'],
    ['a trigger that is no object', { trigger: 'x' }, 'overrides.trigger must be an object'],
    ['conditions that are no list', { conditions: {} }, 'overrides.conditions must be a list'],
    ['an action that is no object', { actions: [5] }, 'overrides.actions[0] must be an object'],
    [
      'more actions than the rule has',
      { actions: [{}, { title: 'x' }] },
      'overrides.actions has 2 entries; the rule has 1',
    ],
  ])('refuses %s, naming it', (_, overrides, message) => {
    expect(refusal(overrides)).toEqual([expect.stringContaining(message)]);
  });

  it('refuses a tuning the schema rejects once applied', () => {
    expect(refusal({ trigger: { withinHours: -1 } })).toEqual([
      expect.stringMatching(/withinHours/),
    ]);
  });
});

describe('conditions', () => {
  const facts = {
    contact: {
      tags: ['Solar', 'vip'],
      source: 'Facebook',
      customFields: { roof: 'flat' },
      dnd: false,
    },
  };

  it.each([
    [{ field: 'contact.tags', includesAny: ['VIP'] }, true],
    [{ field: 'contact.tags', includesAll: ['solar', 'vip'] }, true],
    [{ field: 'contact.tags', excludesAny: ['vip'] }, false],
    [{ field: 'contact.source', equals: 'facebook' }, true],
    [{ field: 'contact.source', in: ['google', 'facebook'] }, true],
    [{ field: 'contact.customFields.roof', notIn: ['flat'] }, false],
    [{ field: 'contact.assignedTo', exists: false }, true],
    [{ field: 'contact.dnd', equals: false }, true],
  ])('%j holds: %s', (condition, expected) => {
    expect(conditionHolds(condition, facts)).toBe(expected);
  });

  it('fills placeholders from the facts and leaves one without a value empty', () => {
    expect(renderText('Call {{ contact.source }}{{contact.nope}}', facts)).toBe('Call Facebook');
  });
});

describe('parseAutomationFile', () => {
  it('reads per-location settings and refuses one without `enabled`', () => {
    const file = parseAutomationFile(
      'locations:\n  loc-1:\n    new-lead-follow-up: { enabled: true }\n',
      'automation.yaml',
    );

    expect(file.locations['loc-1']['new-lead-follow-up']).toEqual({ enabled: true });
    expect(() =>
      parseAutomationFile('locations:\n  loc-1:\n    x: { overrides: {} }\n', 'a.yaml'),
    ).toThrow(/enabled is required/);
  });

  it.each([
    ['`{}`', '{}'],
    ['an empty file', ''],
    ["a placeholder's comments", '# automation rules go here\n\n  # none yet\n'],
    ['keys with nothing under them', 'rules:\nlocations:\n  loc-1:\n'],
    ['a document marker and comments', '---\n# none yet\n...\n'],
    ['old Mac line endings', '# none yet\r# really\r'],
  ])('takes %s for no rules and no settings', (_, text) => {
    expect(parseAutomationFile(text, 'a.yaml')).toEqual({ rules: [], locations: {} });
  });

  it.each([
    ['a file that is not YAML', 'a: [1\n', /not YAML or JSON/],
    ['a plain text file', 'myhost\n', /is not an automation file/],
    ['a list', '- 1\n', /is not an automation file/],
    ['a misspelt top-level key', 'location: {}\n', /location is unknown/],
    ['rules that are no list', 'rules: { id: x }\n', /rules must be a list/],
    ['locations that are no mapping', 'locations: [1]\n', /locations must map/],
    ['a location that is no mapping', 'locations: { loc-1: 3 }\n', /locations.loc-1 must map/],
    [
      'a misspelt setting field',
      'locations: { loc-1: { x: { enabled: true, override: {} } } }\n',
      /locations.loc-1.x.override is unknown/,
    ],
    [
      'an enabled that is no boolean',
      'locations: { loc-1: { x: { enabled: "yes" } } }\n',
      /locations.loc-1.x.enabled must be true or false/,
    ],
    ['an invalid rule', 'rules: [{ id: x }]\n', /rules\[0\] \(x\) \/ must have required property/],
  ])('refuses %s, naming it', (_, text, message) => {
    expect(() => parseAutomationFile(text, 'a.yaml')).toThrow(message);
  });
});
