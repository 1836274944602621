/**
 * Shared by `switchyard topology` and `switchyard health`: parse the options, wire core services (SSH pool with
 * host-key verification, vault for credentials), run discovery, close everything.
 */
import { parseArgs } from 'node:util';
import type { TopologySnapshot } from '../../common/contract/topology';
import type { HostKeyQuestion } from '../../common/ports';
import { createCoreServices } from '../services';
import { countBySeverity, evaluateHealth } from '../../common/topology/health/index';
import { discover } from './discover';
import type { CephMethod } from './discover-cluster';
import { TopologyService } from './service';

export const COMMON_HELP = `options:
  --inventory FILE          inventory YAML (default: <home>/inventory.yaml)
  --home DIR                data directory (vault, known hosts, audit; default SWITCHYARD_HOME or ~/.switchyard)
  --known-hosts FILE        import this OpenSSH known_hosts file before connecting
  --accept-new-host-keys    trust hosts never seen before (a CHANGED key is always refused)
  --sites a,b               only these sites
  --openstack MODE          auto (REST over a forwarded SSH channel, then REST in one exec, then the CLI) |
                            tunnel | rest | cli | off   (default auto)
  --ceph-method MODE        auto (the python3-rbd pool reader, then the rbd CLI bulk calls) | py | cli
                            (default auto)
  --summary                 summary-only pass (fast polling view: no per-image data)
  --json                    machine-readable output
The vault passphrase (for SSH keys referenced by keyRef) is read from SWITCHYARD_VAULT_PASSPHRASE.`;

export interface TopologyCliOptions {
  inventory?: string;
  home?: string;
  knownHosts?: string;
  acceptNew: boolean;
  sites?: string[];
  openstack: 'auto' | 'tunnel' | 'rest' | 'cli' | 'off';
  cephMethod: CephMethod;
  summary: boolean;
  json: boolean;
  help: boolean;
  rest: Record<string, string | boolean | undefined>;
}

export function parseTopologyArgs(
  args: string[],
  extra: Record<string, { type: 'string' | 'boolean' }> = {},
): TopologyCliOptions {
  const { values } = parseArgs({
    args,
    options: {
      inventory: { type: 'string' },
      home: { type: 'string' },
      'known-hosts': { type: 'string' },
      'accept-new-host-keys': { type: 'boolean' },
      sites: { type: 'string' },
      openstack: { type: 'string' },
      'ceph-method': { type: 'string' },
      summary: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...extra,
    },
    strict: true,
  });
  const v = values as Record<string, string | boolean | undefined>;
  const os = (v['openstack'] as string | undefined) ?? 'auto';
  if (!['auto', 'tunnel', 'rest', 'cli', 'off'].includes(os))
    throw new Error(`--openstack must be auto|tunnel|rest|cli|off, got ${os}`);
  const cm = (v['ceph-method'] as string | undefined) ?? 'auto';
  if (!['auto', 'py', 'cli'].includes(cm)) throw new Error(`--ceph-method must be auto|py|cli, got ${cm}`);
  const o: TopologyCliOptions = {
    acceptNew: v['accept-new-host-keys'] === true,
    openstack: os as TopologyCliOptions['openstack'],
    cephMethod: cm as CephMethod,
    summary: v['summary'] === true,
    json: v['json'] === true,
    help: v['help'] === true,
    rest: v,
  };
  if (typeof v['inventory'] === 'string') o.inventory = v['inventory'];
  if (typeof v['home'] === 'string') o.home = v['home'];
  if (typeof v['known-hosts'] === 'string') o.knownHosts = v['known-hosts'];
  if (typeof v['sites'] === 'string') o.sites = v['sites'].split(',').filter((s) => s !== '');
  return o;
}

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Runs discovery as the CLI does; always closes the services. */
export async function runTopologyCli(o: TopologyCliOptions): Promise<TopologySnapshot> {
  const refused: HostKeyQuestion[] = [];
  const services = createCoreServices({
    ...(o.home ? { home: o.home } : {}),
    ...(o.inventory ? { inventoryPath: o.inventory } : {}),
    hostKeyDecider: async (q) => {
      if (o.acceptNew) return true;
      refused.push(q);
      return false;
    },
  });
  try {
    const state = await services.inventory.get();
    if (!state.inventory) {
      const first = state.errors[0];
      throw new CliUsageError(
        `inventory ${state.path} is not valid${first ? `: ${first.field}: ${first.message}` : ''}`,
      );
    }
    if (o.knownHosts) await services.knownHosts.importKnownHosts(o.knownHosts);
    const pass = process.env['SWITCHYARD_VAULT_PASSPHRASE'];
    const vs = await services.vault.status();
    if (vs.exists && !vs.unlocked && pass) await services.vault.unlock({ passphrase: pass });
    const inv = state.inventory;
    const svc = new TopologyService({ runner: services.ssh, forwarder: services.ssh, inventory: async () => inv });
    let snap: TopologySnapshot;
    if (o.summary) {
      const model = await discover({
        runner: services.ssh,
        inventory: inv,
        mode: 'summary',
        openstack: 'off',
        ...(o.sites ? { sites: o.sites } : {}),
      });
      const findings = evaluateHealth(model, { now: model.generatedAt });
      snap = { model, findings, counts: countBySeverity(findings) };
    } else {
      snap = await svc.discover({
        ...(o.sites ? { sites: o.sites } : {}),
        openstack: o.openstack,
        cephMethod: o.cephMethod,
      });
    }
    if (refused.length > 0 && !o.json) {
      for (const q of refused)
        console.error(
          `refused unknown host key of ${q.hostId} (${q.host}:${q.port} ${q.keyType} ${q.fingerprint}): use --known-hosts or --accept-new-host-keys`,
        );
    }
    return snap;
  } finally {
    await services.close();
  }
}
