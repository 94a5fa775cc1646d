import { readFileSync } from 'node:fs';
import path from 'node:path';

import { conditionHolds, renderText } from './rule-evaluator';
import { builtInTemplatesDir, loadRuleFolder, parseAutomationFile } from './rule-templates';
import { applyOverrides, InvalidRuleError, parseOverrides, parseRule } from './rule-validator';
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

  it('fills placeholders from the facts and leaves unknown ones empty', () => {
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
    ['an invalid rule', 'rules: [{ id: x }]\n', /rules\[0\] \/ must have required property/],
  ])('refuses %s, naming it', (_, text, message) => {
    expect(() => parseAutomationFile(text, 'a.yaml')).toThrow(message);
  });
});
