#!/usr/bin/env node
// The `switchyard` CLI: the same core as the console. TypeScript runs through tsx (Node 20 cannot run it itself).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/node/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
