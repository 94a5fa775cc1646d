// Writes templates/rule.schema.json from `ruleSchema`, formatted as `prettier --check` wants it
// (objects one key a line, as prettier keeps them once written so):
//   node tools/run-ts.cjs libs/automation-rules/src/cli/write-rule-schema.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { format, resolveConfig } from 'prettier';

import { ruleSchema } from '../rule.schema';
import { builtInTemplatesDir } from '../rule-templates';

async function main(): Promise<void> {
  const target = path.join(builtInTemplatesDir(), 'rule.schema.json');
  const options = await resolveConfig(target);
  const text = await format(JSON.stringify(ruleSchema, null, 2), { ...options, filepath: target });
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}

void main();
