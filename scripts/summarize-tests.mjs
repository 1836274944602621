// Reads the JSON reports of vitest (vitest-*.json) and playwright (playwright.json) and prints one closing line
// "N passed, N failed, N skipped". A missing report counts as a failure; skipped tests are listed by name so a
// skip is never silent.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, extraFailures = '0'] = process.argv.slice(2);
let passed = 0;
let failed = Number(extraFailures);
let skipped = 0;
const skippedNames = [];
for (const name of [
  'vitest-unit',
  'vitest-integration',
  'vitest-migration-resilience',
  'vitest-migration',
  'vitest-dr',
]) {
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    console.log(`no report from ${name}`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  const suiteFailures = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  failed += suiteFailures;
  // Unhandled errors fail the run without failing a test: count them too.
  if (r.success === false && suiteFailures === 0) {
    console.log(`${name}: the run failed outside any test (unhandled error)`);
    failed += 1;
  }
  for (const suite of r.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') {
        skipped += 1;
        skippedNames.push(`${name}: ${t.fullName ?? t.title}`);
      }
    }
  }
}
for (const name of ['playwright', 'playwright-migration', 'playwright-dr']) {
  const pw = join(dir, `${name}.json`);
  if (!existsSync(pw)) {
    console.log(`no report from ${name}`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(pw, 'utf8'));
  passed += r.stats?.expected ?? 0;
  failed += (r.stats?.unexpected ?? 0) + (r.stats?.flaky ?? 0) + (r.errors?.length ?? 0);
  skipped += r.stats?.skipped ?? 0;
  if (r.stats?.skipped) skippedNames.push(`${name}: ${r.stats.skipped} test(s) skipped (see its list output)`);
}
if (skippedNames.length) console.log(`skipped:\n  ${skippedNames.join('\n  ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
