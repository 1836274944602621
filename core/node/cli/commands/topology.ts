import type { CliCommand } from '../main';
import { COMMON_HELP, CliUsageError, parseTopologyArgs, runTopologyCli } from '../../topology/cli-support';
import { renderTopology } from '../../topology/render-text';

const HELP = `usage: switchyard topology --inventory FILE [--json] [options]

Discovers every site of the inventory over SSH (bulk calls per site and pool) and prints what is replicated
where: sites, clusters, pools with peers and direction, rbd-mirror daemons, images paired with their OpenStack
objects. A site that cannot be reached is shown as unreachable with the reason; the rest is still printed.

${COMMON_HELP}`;

export const command: CliCommand = {
  name: 'topology',
  summary: 'discover sites, clusters, pools, peers, daemons and images; print the model',
  async run(args) {
    let o;
    try {
      o = parseTopologyArgs(args);
    } catch (e) {
      console.error(`switchyard topology: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    try {
      const snap = await runTopologyCli(o);
      console.log(o.json ? JSON.stringify(snap) : renderTopology(snap));
      return 0;
    } catch (e) {
      console.error(`switchyard topology: ${e instanceof Error ? e.message : String(e)}`);
      return e instanceof CliUsageError ? 2 : 1;
    }
  },
};
