// Writes templates/rule.schema.json from `ruleSchema`, then formats it as the repo's checks want:
//   node tools/run-ts.cjs libs/automation-rules/src/cli/write-rule-schema.ts
//   npx prettier --write templates/rule.schema.json
// Prettier is a development tool, not in the runtime image this lib is built into, so this
// script only says to run it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { ruleSchema } from '../rule.schema';
import { builtInTemplatesDir } from '../rule-templates';

const target = path.join(builtInTemplatesDir(), 'rule.schema.json');
writeFileSync(target, `${JSON.stringify(ruleSchema, null, 2)}\n`);
process.stdout.write(
  `wrote ${target}; now run: npx prettier --write ${path.relative(process.cwd(), target)}\n`,
);
