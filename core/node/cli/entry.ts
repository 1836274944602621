/** The bundled CLI's entry (out/cli/switchyard.mjs, built by scripts/build-cli.mjs; launched by bin/switchyard). */
import { main } from './main';

process.exitCode = await main(process.argv.slice(2));
