/**
 * `switchyard images matrix|check` — where every Glance image is (store × image, checked against each store's
 * cluster), usage risk per site, and with `check` the format header of every raw image. The image wizards run
 * through `switchyard wizard run images-copy|images-import|images-delete-store|images-activation`.
 */
import type { CliCommand } from '../main';
import { COMMON_HELP, CliUsageError, parseTopologyArgs } from '../../topology/cli-support';
import { createCoreServices } from '../../services';
import { ImagesService } from '../../images/service';
import { renderMatrix, renderUsage } from '../../images/render-text';

const HELP = `usage: switchyard images <matrix|check> --inventory FILE [--json] [options]

  matrix   images × Glance stores: present / importing (with progress) / failed / absent, each cell checked
           against the store's cluster (RBD object + protected @snap), size totals per store, usage risk per site
  check    the same plus the format check (raw images whose data is qcow2, …); exit 1 on any problem

Wizards: switchyard wizard run images-copy|images-import|images-delete-store|images-activation --params …

${COMMON_HELP}`;

export const command: CliCommand = {
  name: 'images',
  summary: 'Glance image × store matrix checked against the clusters, usage risk, format check',
  async run(args) {
    const sub = args[0];
    let o;
    try {
      if (sub !== 'matrix' && sub !== 'check') {
        if (sub === '--help' || sub === '-h' || sub === undefined) {
          console.log(HELP);
          return sub === undefined ? 2 : 0;
        }
        throw new Error(`unknown subcommand ${sub}`);
      }
      o = parseTopologyArgs(args.slice(1));
    } catch (e) {
      console.error(`switchyard images: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    if (o.help) {
      console.log(HELP);
      return 0;
    }
    const services = createCoreServices({
      ...(o.home ? { home: o.home } : {}),
      ...(o.inventory ? { inventoryPath: o.inventory } : {}),
      hostKeyDecider: async () => o.acceptNew,
    });
    try {
      const state = await services.inventory.get();
      const inv = state.inventory;
      if (!inv)
        throw new CliUsageError(
          `inventory ${state.path} is not valid${state.errors[0] ? `: ${state.errors[0].field}: ${state.errors[0].message}` : ''}`,
        );
      if (o.knownHosts) await services.knownHosts.importKnownHosts(o.knownHosts);
      const pass = process.env['SWITCHYARD_VAULT_PASSPHRASE'];
      const vs = await services.vault.status();
      if (vs.exists && !vs.unlocked && pass) await services.vault.unlock({ passphrase: pass });
      const svc = new ImagesService({ runner: services.ssh, inventory: async () => inv });
      const snap = await svc.observe({ formatCheck: sub === 'check' });
      const problems = snap.matrix.rows.reduce((n, r) => n + r.problems.length, 0);
      if (o.json) console.log(JSON.stringify(snap));
      else
        console.log(
          `${renderMatrix(snap.matrix)}\n\n${renderUsage(snap.usage)}\n\n${snap.matrix.rows.length} images, ${problems} problems, ${snap.commands} remote commands, ${(snap.durationMs / 1000).toFixed(1)} s`,
        );
      return sub === 'check' && (problems > 0 || snap.matrix.problems.length > 0) ? 1 : 0;
    } catch (e) {
      console.error(`switchyard images: ${e instanceof Error ? e.message : String(e)}`);
      return e instanceof CliUsageError ? 2 : 1;
    } finally {
      await services.close();
    }
  },
};
