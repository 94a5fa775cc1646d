import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ConfigError } from '@sm/config';

import { checkRuleCatalog, readRuleCatalog } from './rule-catalog';

describe('the rule catalog', () => {
  let dir: string;
  const fileWith = (text: string) => {
    const file = path.join(dir, `automation-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);

    return file;
  };
  const problemsOf = (file: string | undefined, enabled: string[] = []) =>
    checkRuleCatalog({ AUTOMATION_RULES_FILE: file, AUTOMATION_ENABLED_RULES: enabled }).problems;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rule-catalog-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("knows the built-ins and the file's own rules, and takes settings that fit them", () => {
    const file = fileWith(
      [
        'rules:',
        '  - id: vip-follow-up',
        '    name: VIP follow-up',
        '    trigger: { event: contact.created }',
        "    actions: [{ type: create-follow-up, title: 'Call {{contact.name}}' }]",
        'locations:',
        "  '*':",
        '    vip-follow-up: { enabled: true, overrides: { actions: [{ dueInHours: 2 }] } }',
      ].join('\n'),
    );

    const catalog = readRuleCatalog({
      AUTOMATION_RULES_FILE: file,
      AUTOMATION_ENABLED_RULES: ['vip-follow-up', 'new-lead-follow-up'],
    });

    expect([...catalog.rules.keys()]).toEqual(
      expect.arrayContaining(['new-lead-follow-up', 'vip-follow-up']),
    );
    expect(catalog.file.locations['*']['vip-follow-up'].enabled).toBe(true);
  });

  it('names AUTOMATION_RULES_FILE for a missing file, a folder, or not an automation file', () => {
    expect(problemsOf(path.join(dir, 'missing.yaml'))).toEqual([
      { variable: 'AUTOMATION_RULES_FILE', message: 'no such file' },
    ]);
    expect(problemsOf(dir)).toEqual([
      { variable: 'AUTOMATION_RULES_FILE', message: 'is a folder, not a file' },
    ]);
    expect(problemsOf(fileWith('myhost\n'))).toEqual([
      {
        variable: 'AUTOMATION_RULES_FILE',
        message: 'is not an automation file (a mapping with rules and locations)',
      },
    ]);
  });

  it('names AUTOMATION_RULES_FILE for a setting of no rule, or a tuning that does not fit', () => {
    const file = fileWith(
      [
        'locations:',
        '  loc-1:',
        '    nope-rule: { enabled: true }',
        '    new-lead-follow-up: { enabled: true, overrides: { condition: [] } }',
        '    stale-lead-nudge: { enabled: true, overrides: { trigger: { staleDays: 0 } } }',
      ].join('\n'),
    );

    expect(problemsOf(file)).toEqual([
      { variable: 'AUTOMATION_RULES_FILE', message: 'locations.loc-1.nope-rule: no such rule' },
      {
        variable: 'AUTOMATION_RULES_FILE',
        message:
          'locations.loc-1.new-lead-follow-up: overrides.condition is not a tuning field ' +
          '(trigger, conditions, actions)',
      },
      {
        variable: 'AUTOMATION_RULES_FILE',
        message: expect.stringMatching(/^locations.loc-1.stale-lead-nudge: .*staleDays/),
      },
    ]);
  });

  it('names AUTOMATION_RULES_FILE for a rule id a built-in has', () => {
    const file = fileWith(
      [
        'rules:',
        '  - id: new-lead-follow-up',
        '    name: Mine',
        '    trigger: { event: contact.created }',
        '    actions: [{ type: notify-team, notice: mine }]',
      ].join('\n'),
    );

    expect(problemsOf(file)).toEqual([
      { variable: 'AUTOMATION_RULES_FILE', message: 'rule id new-lead-follow-up is repeated' },
    ]);
  });

  it('names AUTOMATION_ENABLED_RULES for an id of no rule; a ConfigError in the rule book', () => {
    const problems = problemsOf(undefined, ['new-lead-follow-up', 'nope-rule']);
    const read = () =>
      readRuleCatalog({
        AUTOMATION_RULES_FILE: undefined,
        AUTOMATION_ENABLED_RULES: ['nope-rule'],
      });

    expect(problems).toEqual([
      {
        variable: 'AUTOMATION_ENABLED_RULES',
        message: expect.stringMatching(/^no rule nope-rule \(the rules are .*new-lead-follow-up/),
      },
    ]);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/AUTOMATION_ENABLED_RULES: no rule nope-rule/);
  });
});
