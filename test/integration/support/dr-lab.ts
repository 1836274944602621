/**
 * What the DR suites need besides test/integration/support/topology-lab.ts: the lab cloud read independently with
 * the real `openstack` / `cinder` CLIs (run locally with the lab's openrc, not through Switchyard), the seed's
 * record, and the switchyard CLI (a vault holding the lab key, the inventory as YAML) for crash tests.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { Vault } from '../../../core/node/vault/vault';
import type { TopologyLab } from './topology-lab';

const exec = promisify(execFile);
export const REPO = join(__dirname, '..', '..', '..');

export interface LabSeed {
  servers: { name: string; id: string; disk: { pool: string; image: string; sha256: string } }[];
  volumes: { name: string; id: string; attachedTo: string; rbd: { pool: string; image: string; sha256: string } }[];
  images: { name: string; id: string; rbd: { pool: string; image: string; mirrored: boolean } }[];
}

export interface LabCloud {
  openrc: string;
  cinderHost: string;
  backendId: string;
  seed: LabSeed;
  /** `openstack ARGS -f json` with the lab's openrc, parsed. */
  os<T>(...args: string[]): Promise<T>;
  /** `cinder ARGS` (table output) with the lab's openrc. */
  cinder(...args: string[]): Promise<string>;
}

export function labCloud(dir: string): LabCloud | null {
  const path = join(dir, 'openstack.json');
  const seedPath = join(dir, 'openstack', 'seed.json');
  if (!existsSync(path) || !existsSync(seedPath)) return null;
  const o = JSON.parse(readFileSync(path, 'utf8')) as {
    client?: { openrc?: string };
    cinder?: { backend?: string; replicationTarget?: string };
  };
  const openrc = o.client?.openrc;
  if (!openrc || !o.cinder?.replicationTarget) return null;
  const sh = async (argv: string[]): Promise<string> => {
    const r = await exec('bash', ['-c', '. "$1" || exit 97; shift; exec "$@"', 'bash', openrc, ...argv], {
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return r.stdout;
  };
  return {
    openrc,
    cinderHost: o.cinder.backend ?? 'controller@ceph',
    backendId: o.cinder.replicationTarget,
    seed: JSON.parse(readFileSync(seedPath, 'utf8')) as LabSeed,
    os: async <T>(...args: string[]) => JSON.parse(await sh(['openstack', ...args, '-f', 'json'])) as T,
    cinder: (...args) => sh(['cinder', '--os-volume-api-version', '3.64', ...args]),
  };
}

export interface CinderServiceRow {
  host: string;
  status: string;
  replicationStatus: string;
  activeBackendId: string;
}

/** `cinder service-list --withreplication --binary cinder-volume`, read as a table (the client has no JSON). */
export async function cinderBackendRow(c: LabCloud): Promise<CinderServiceRow | undefined> {
  const text = await c.cinder('service-list', '--withreplication', '--binary', 'cinder-volume');
  const rows = text
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((x) => x.trim()),
    );
  const head = rows[0] ?? [];
  const at = (r: string[], n: string): string => r[head.indexOf(n)] ?? '';
  return rows
    .slice(1)
    .map((r) => ({
      host: at(r, 'Host'),
      status: at(r, 'Status'),
      replicationStatus: at(r, 'Replication Status'),
      activeBackendId: at(r, 'Active Backend ID'),
    }))
    .find((r) => r.host === c.cinderHost);
}

/** The switchyard CLI against the lab: a home with a vault holding the operator key and the inventory. */
export interface LabCli {
  home: string;
  runsDir: string;
  /** Runs to completion (bounded) and returns exit code and output. */
  run(args: string[]): { status: number | null; out: string };
  /** Starts `wizard ARGS` in the background. */
  spawn(args: string[]): ChildProcess;
}

export async function labCli(lab: TopologyLab): Promise<LabCli> {
  const home = mkdtempSync(join(tmpdir(), 'swy-dr-cli-'));
  const pass = 'dr-integration-passphrase';
  const vault = new Vault({ path: join(home, 'vault.json') });
  await vault.init({ passphrase: pass });
  await vault.add({
    kind: 'ssh-key',
    label: 'lab-key',
    value: readFileSync(lab.lab.hosts[0]?.privateKeyPath ?? '', 'utf8'),
  });
  await vault.lock();
  const inv = join(home, 'inventory.yaml');
  writeFileSync(inv, stringify(lab.inventory));
  const env = { ...process.env, SWITCHYARD_VAULT_PASSPHRASE: pass };
  const common = ['--inventory', inv, '--home', home, '--known-hosts', lab.lab.knownHostsPath];
  return {
    home,
    runsDir: join(home, 'runs'),
    run: (args) => {
      const r = spawnSync('node', ['bin/switchyard.mjs', ...args, ...common], {
        cwd: REPO,
        env,
        encoding: 'utf8',
        timeout: 1_800_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
    },
    spawn: (args) =>
      spawn('node', ['bin/switchyard.mjs', ...args, ...common], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  };
}

/** Kills `child` with SIGKILL the moment its new run journal contains `needle`; resolves with the run id. */
export function killWhenJournalHas(child: ChildProcess, runsDir: string, needle: string): Promise<string> {
  const existing = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const f = existsSync(runsDir) ? readdirSync(runsDir).find((n) => !existing.has(n)) : undefined;
      if (f && readFileSync(join(runsDir, f), 'utf8').includes(needle)) {
        child.kill('SIGKILL');
        clearInterval(timer);
        resolve(f.replace(/\.jsonl$/, ''));
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`CLI exited (${String(code)}) before ${needle}:\n${out.slice(-3000)}`));
    });
  });
}
