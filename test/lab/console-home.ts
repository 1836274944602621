/**
 * Turns a running lab ($LAB/lab.json + openstack.json) into what an operator would set up by hand in the console:
 * an inventory file, the lab's host keys in the known-hosts store, and a vault holding the operator's SSH key.
 *
 *   node --import tsx test/lab/console-home.ts LAB_DIR CONSOLE_HOME
 *
 * The vault passphrase comes from SWITCHYARD_VAULT_PASSPHRASE (never argv). Used by `npm run demo`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inventorySchema, type Inventory } from '../../core/common/inventory/schema';
import { createCoreServices } from '../../core/node/services';

interface LabJson {
  net: string;
  knownHostsPath: string;
  hosts: { name: string; site: string | null; role: string; address: string; port: number; user: string; privateKeyPath: string }[];
  clusters: { name: string; fsid: string; confPath: string; keyringPath: string }[];
}
interface OpenstackJson {
  cloudName?: string;
  client?: { openrc?: string };
  glance?: { stores?: { id: string; type: string; pool: string | null; site: string | null }[] };
}

export const LAB_KEY_LABEL = 'lab-operator-key';

/** The inventory an operator would write for this lab (jump host included, as a real site would have). */
export function labInventory(lab: LabJson, os: OpenstackJson | null): Inventory {
  const edgeStores = (os?.glance?.stores ?? []).filter((s) => s.site === null);
  return inventorySchema.parse({
    version: 1,
    name: `switchyard lab ${lab.net}.0/24`,
    sites: [
      ...lab.clusters.map((c, i) => ({ name: c.name, role: i === 0 ? 'primary' : 'secondary', description: `lab cluster ${c.name}` })),
      ...edgeStores.map((s) => ({ name: s.id, role: 'edge', description: `${s.type} store on the controller (no Ceph)` })),
    ],
    clusters: lab.clusters.map((c) => ({ name: c.name, site: c.name, fsid: c.fsid })),
    hosts: lab.hosts.map((h) => {
      const cluster = lab.clusters.find((c) => c.name === h.site);
      const roles =
        h.role === 'ceph-mon' && cluster
          ? [{ kind: 'ceph-mon', cluster: cluster.name, conf: cluster.confPath, keyring: cluster.keyringPath }]
          : h.role === 'openstack-controller' && os
            ? [{ kind: 'openstack-controller', cloud: os.cloudName, openrc: os.client?.openrc }]
            : [];
      return {
        id: h.name,
        ...(h.site ? { site: h.site } : lab.clusters[0] ? { site: lab.clusters[0].name } : {}),
        address: h.address,
        port: h.port,
        user: h.user,
        ...(h.role === 'bastion' ? {} : { jump: 'bastion' }),
        auth: { method: 'key', keyRef: LAB_KEY_LABEL },
        roles,
      };
    }),
    glance: {
      stores: (os?.glance?.stores ?? []).map((s) =>
        s.site ? { id: s.id, site: s.site, cluster: s.site, ...(s.pool ? { pool: s.pool } : {}) } : { id: s.id, site: s.id },
      ),
    },
  });
}

async function main(labDir: string, home: string): Promise<void> {
  const passphrase = process.env['SWITCHYARD_VAULT_PASSPHRASE'];
  if (!passphrase) throw new Error('set SWITCHYARD_VAULT_PASSPHRASE (the demo vault passphrase)');
  const lab = JSON.parse(readFileSync(join(labDir, 'lab.json'), 'utf8')) as LabJson;
  const osPath = join(labDir, 'openstack.json');
  const os = existsSync(osPath) ? (JSON.parse(readFileSync(osPath, 'utf8')) as OpenstackJson) : null;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const core = createCoreServices({ home, hostKeyDecider: async () => false });
  try {
    const status = await core.vault.status();
    if (status.exists) await core.vault.unlock({ passphrase });
    else await core.vault.init({ passphrase });
    if (!core.vault.list().some((s) => s.label === LAB_KEY_LABEL)) {
      const key = readFileSync(lab.hosts[0]?.privateKeyPath ?? '', 'utf8');
      await core.vault.add({ kind: 'ssh-key', label: LAB_KEY_LABEL, value: key });
    }
    const saved = await core.inventory.save(stringify(labInventory(lab, os)));
    if (saved.errors.length) throw new Error(`inventory invalid: ${saved.errors.map((e) => `${e.field}: ${e.message}`).join("; ")}`);
    const imported = await core.knownHosts.importKnownHosts(lab.knownHostsPath);
    console.log(`console home ${home}: inventory with ${lab.hosts.length} hosts, ${JSON.stringify(imported)} host keys imported, vault ready`);
  } finally {
    await core.close();
  }
}

const [labDir, home] = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}`) {
  if (!labDir || !home) {
    console.error('usage: console-home.ts LAB_DIR CONSOLE_HOME');
    process.exit(2);
  }
  main(labDir, home).catch((e: unknown) => {
    console.error(`console-home: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
