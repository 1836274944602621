import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPackageRoot, packageRoot } from './package-root';

const dir = mkdtempSync(join(tmpdir(), 'sy-root-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packageRoot', () => {
  it('is the checkout from the sources', () => {
    expect(packageRoot()).toBe(join(__dirname, '..', '..'));
  });

  it('skips other packages and bad package.json files on the way up, from any depth (out/cli, out/main)', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'switchyard' }));
    mkdirSync(join(dir, 'node_modules', 'x', 'out', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'x', 'package.json'), JSON.stringify({ name: 'x' }));
    writeFileSync(join(dir, 'node_modules', 'x', 'out', 'package.json'), '{not json');
    expect(findPackageRoot(join(dir, 'node_modules', 'x', 'out', 'cli', 'switchyard.mjs'))).toBe(dir);
    expect(() => findPackageRoot('/switchyard.mjs')).toThrow(/no switchyard package.json/);
  });
});
