import { readFileSync } from 'node:fs';
import path from 'node:path';

import { conditionHolds, renderText } from './rule-evaluator';
import { builtInTemplatesDir, loadRuleFolder, parseAutomationFile } from './rule-templates';
import { applyOverrides, InvalidRuleError, parseRule } from './rule-validator';
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
});
