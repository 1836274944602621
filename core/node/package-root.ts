/**
 * The checkout's (or installed package's) root directory: the nearest directory above this module holding the
 * `switchyard` package.json. Works from the TypeScript sources, the bundled CLI (out/cli/) and Electron's main
 * bundle (out/main/) alike, where a fixed `../../..` from import.meta.url would point somewhere else in each.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findPackageRoot(fromFile: string): string {
  for (let dir = dirname(fromFile); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'switchyard') return dir;
      } catch {
        // An unreadable package.json on the way up is not ours: keep looking.
      }
    }
    if (dirname(dir) === dir) throw new Error(`no switchyard package.json above ${fromFile}`);
  }
}

let root: string | null = null;

export function packageRoot(): string {
  return (root ??= findPackageRoot(fileURLToPath(import.meta.url)));
}
