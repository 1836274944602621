// `npm run build` (after electron-vite): the CLI and the browser-mode host as one ESM bundle, out/cli/switchyard.mjs.
// bin/switchyard runs it when it is newer than every source file; otherwise the sources run through tsx, whose
// loader alone holds ~20-40 MiB of the host's memory (README, "Measured"). npm packages stay external and load from
// node_modules as usual.
import { build } from 'esbuild';

await build({
  entryPoints: ['core/node/cli/entry.ts'],
  outfile: 'out/cli/switchyard.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
