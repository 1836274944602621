/**
 * `switchyard dr readiness --inventory FILE [--json]`: could the workload survive losing a site now, and what would
 * it lose. Discovers the topology, evaluates health, keeps the DR-relevant findings and adds the DR rules (images
 * not mirrored, volumes not replicated, Glance images missing at the DR site, unprotected servers, RPO per image and
 * worst per site). Exit 1 when not ready (any error finding), 2 on bad usage. The DR wizards themselves run with
 * `switchyard wizard run dr-planned-failover|dr-unplanned-failover|dr-failback|dr-test`.
 */
import { evaluateDrReadiness, renderDrReadiness } from '../../../common/topology/dr-readiness';
import { COMMON_HELP, CliUsageError, parseTopologyArgs, runTopologyCli } from '../../topology/cli-support';
import type { CliCommand } from '../main';

const HELP = `usage: switchyard dr readiness --inventory FILE [--json] [options]

DR readiness report: images not mirrored, pool-mode images without journaling, clone parents not mirrored,
effective RPO per image and the worst per site, rbd-mirror daemons down, Cinder volumes not of a replicated type,
Glance images missing from the DR site's stores, servers whose disks are not all protected.
Exit status: 1 when not ready (any error), 0 when ready, 2 on bad usage or an invalid inventory.
The wizards: switchyard wizard plan|run dr-planned-failover | dr-unplanned-failover | dr-failback | dr-test.

${COMMON_HELP}`;

export const command: CliCommand = {
  name: 'dr',
  summary: 'disaster recovery: readiness report (exit 1 when not ready); wizards via `wizard run dr-*`',
  async run(args) {
    const [sub, ...rest] = args;
    if (!sub || sub === '--help' || sub === '-h') {
      console.log(HELP);
      return sub ? 0 : 2;
    }
    if (sub !== 'readiness') {
      console.error(`switchyard dr: unknown subcommand ${sub}\n${HELP}`);
      return 2;
    }
    let o;
    try {
      o = parseTopologyArgs(rest);
    } catch (e) {
      console.error(`switchyard dr: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    if (o.summary) {
      console.error('switchyard dr readiness needs the full discovery (per-image RPO): drop --summary');
      return 2;
    }
    try {
      const snap = await runTopologyCli(o);
      const r = evaluateDrReadiness(snap.model, snap.findings);
      console.log(o.json ? JSON.stringify(r) : renderDrReadiness(r));
      return r.ready ? 0 : 1;
    } catch (e) {
      console.error(`switchyard dr: ${e instanceof Error ? e.message : String(e)}`);
      return e instanceof CliUsageError ? 2 : 1;
    }
  },
};
