import type { CliCommand } from '../main';
import { COMMON_HELP, CliUsageError, parseTopologyArgs, runTopologyCli } from '../../topology/cli-support';
import { renderFindings } from '../../topology/render-text';

const HELP = `usage: switchyard health --inventory FILE [--json] [options]

Discovers the topology and evaluates the health rules (split-brain, primaries, daemons, errors, stuck syncs,
RPO, clones, journaling, peers, Glance placement and imports, orphans, unreachable sites). Prints each finding
with its evidence and a command to look closer. Exit status: 1 when any finding is an error, 0 otherwise,
2 on bad usage or an invalid inventory.

${COMMON_HELP}`;

export const command: CliCommand = {
  name: 'health',
  summary: 'evaluate mirroring/OpenStack health rules; exit 1 on any error finding',
  async run(args) {
    let o;
    try {
      o = parseTopologyArgs(args);
    } catch (e) {
      console.error(`switchyard health: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    try {
      const snap = await runTopologyCli(o);
      if (o.json)
        console.log(JSON.stringify({ counts: snap.counts, findings: snap.findings, problems: snap.model.problems }));
      else
        console.log(
          `${renderFindings(snap.findings)}\n\n${snap.counts.error} error, ${snap.counts.warning} warning, ${snap.counts.info} info`,
        );
      return snap.counts.error > 0 ? 1 : 0;
    } catch (e) {
      console.error(`switchyard health: ${e instanceof Error ? e.message : String(e)}`);
      return e instanceof CliUsageError ? 2 : 1;
    }
  },
};
