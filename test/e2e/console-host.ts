/**
 * The console host a browser journey talks to: a fresh SWITCHYARD_HOME whose vault (locked, passphrase given) holds
 * the lab's operator key as `lab-key`, the inventory written as YAML, the lab's host keys imported, and
 * `switchyard serve --json` started on it. Shared by the lab-backed specs so each sets up the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { KnownHostsStore } from '../../core/node/ssh/known-hosts';
import { Vault } from '../../core/node/vault/vault';
import type { TopologyLab } from '../integration/support/topology-lab';

export interface ConsoleHostOptions {
  /** Prefix of the temporary home directory. */
  prefix: string;
  passphrase: string;
  /** The lab's operator private key (stored in the vault as `lab-key`). */
  privateKeyPath: string;
  inventoryYaml: string;
  /** The lab's OpenSSH known_hosts file, and the addresses it covers. */
  knownHostsPath: string;
  hosts: { address: string; port: number }[];
  /** Where screenshots go (created). */
  shots?: string;
  /** serve's start-up budget: the first start after a build can be slow on a loaded machine. */
  startTimeoutMs?: number;
}

export interface ConsoleHost {
  home: string;
  url: string;
  process: ChildProcess;
  stop(): void;
}

export async function startConsoleHost(o: ConsoleHostOptions): Promise<ConsoleHost> {
  const home = mkdtempSync(join(tmpdir(), o.prefix));
  const vault = new Vault({ path: join(home, 'vault.json') });
  await vault.init({ passphrase: o.passphrase });
  await vault.add({ kind: 'ssh-key', label: 'lab-key', value: readFileSync(o.privateKeyPath, 'utf8') });
  await vault.lock();
  writeFileSync(join(home, 'inventory.yaml'), o.inventoryYaml);
  const kh = new KnownHostsStore(join(home, 'known_hosts.json'), {
    candidates: () => Promise.resolve(o.hosts.map((h) => ({ host: h.address, port: h.port }))),
  });
  await kh.importKnownHosts(o.knownHostsPath);
  if (o.shots) mkdirSync(o.shots, { recursive: true });
  const child = spawn('bin/switchyard', ['serve', '--json', '--home', home], {
    env: { ...process.env, SWITCHYARD_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const budget = o.startTimeoutMs ?? 120_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`switchyard serve did not print its URL within ${budget / 1000} s`));
    }, budget);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`switchyard serve exited before printing its URL (${String(code ?? signal)})`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { home, url, process: child, stop: () => child.kill('SIGTERM') };
}

/** The console host for a lab opened with openTopologyLab (topology, images and DR journeys). */
export function startLabConsoleHost(
  lab: TopologyLab,
  o: { prefix: string; passphrase: string; shots?: string },
): Promise<ConsoleHost> {
  return startConsoleHost({
    ...o,
    privateKeyPath: lab.lab.hosts[0]?.privateKeyPath ?? '',
    inventoryYaml: stringify(lab.inventory),
    knownHostsPath: lab.lab.knownHostsPath,
    hosts: lab.lab.hosts,
  });
}
