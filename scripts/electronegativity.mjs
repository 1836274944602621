#!/usr/bin/env node
// Runs @doyensec/electronegativity on the Electron sources and the built renderer. Fails on any high or medium
// finding that electronegativity-accepted.json does not list (by check id and file) with a written reason.
import run from '@doyensec/electronegativity';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One tree holding both, so global checks (CSP, navigation limits) see main and the renderer's HTML together.
const scanRoot = mkdtempSync(join(tmpdir(), 'sy-electronegativity-'));
const acceptedFile = 'electronegativity-accepted.json';
/** @type {{ id: string, file: string, reason: string }[]} */
const accepted = existsSync(acceptedFile) ? JSON.parse(readFileSync(acceptedFile, 'utf8')) : [];
for (const a of accepted) {
  if (!a.reason || a.reason.trim().length < 20) {
    console.error(`${acceptedFile}: ${a.id} on ${a.file} needs a real reason`);
    process.exit(2);
  }
}
if (!existsSync('out/renderer')) {
  console.error('out/renderer is missing: run `npm run build` first');
  process.exit(2);
}

cpSync('electron', join(scanRoot, 'electron'), { recursive: true });
cpSync('out/renderer', join(scanRoot, 'out/renderer'), { recursive: true });
let unexplained = 0;
let total = 0;
{
  const input = '.';
  const result = await run({ input: scanRoot, isRelative: true, electronVersionOverride: '45.4.1', parserPlugins: [] });
  for (const e of result.errors)
    console.warn(`electronegativity could not parse ${e.file}: ${e.message ?? e.error ?? ''}`);
  for (const issue of result.issues) {
    const sev = issue.severity.name ?? String(issue.severity.value);
    const file = `${input}/${issue.file}`.replace(/\/+/g, '/');
    const where = `${file}:${issue.location?.line ?? '?'}`;
    total++;
    if (!/HIGH|MEDIUM/i.test(sev)) {
      console.log(`  info    ${issue.id} ${where}`);
      continue;
    }
    const ok = accepted.find((a) => a.id === issue.id && file.endsWith(a.file));
    if (ok) console.log(`  accepted ${sev} ${issue.id} ${where}: ${ok.reason}`);
    else {
      unexplained++;
      console.log(`  FINDING ${sev} ${issue.id} ${where}: ${issue.description ?? ''}`);
    }
  }
}
rmSync(scanRoot, { recursive: true, force: true });
console.log(`electronegativity: ${total} finding(s), ${unexplained} high/medium without an accepted reason`);
process.exit(unexplained > 0 ? 1 : 0);
