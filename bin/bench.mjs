#!/usr/bin/env node
// `npm run bench [name]`: runs bench/<name>.ts (all of them without a name). Benches print figures; they never
// assert on time.
import { register } from 'tsx/esm/api';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

register();
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const wanted = process.argv[2];
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .filter((n) => !wanted || n === wanted);
if (names.length === 0) {
  console.error(`no bench named ${wanted}; have: ${readdirSync(dir).join(', ')}`);
  process.exit(2);
}
for (const name of names) {
  console.log(`\n## bench ${name}`);
  const mod = await import(join(dir, `${name}.ts`));
  await mod.run();
}
