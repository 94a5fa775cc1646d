// Writes templates/rule.schema.json from `ruleSchema`:
//   node tools/run-ts.cjs libs/automation-rules/src/cli/write-rule-schema.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { ruleSchema } from '../rule.schema';
import { builtInTemplatesDir } from '../rule-templates';

const target = path.join(builtInTemplatesDir(), 'rule.schema.json');
writeFileSync(target, `${JSON.stringify(ruleSchema, null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
