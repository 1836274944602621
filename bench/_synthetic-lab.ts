/**
 * A synthetic two-site deployment of N images for the benches: the CLI documents a real Pacific cluster prints
 * (built from the 16.2.15 captures), written to files, and a CommandRunner that serves them by argv the way the
 * clusters and the controller would. The host then runs its real discovery, parsers, model and health on them:
 * only SSH is missing. 1 % of the images are in error, 0.1 % split-brained, 1 % of volumes are orphans.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POOL_READER } from '../core/common/commands/rbd-pool-reader';
import type { CommandRunner, ExecOptions, ExecResult } from '../core/common/ports';

const HERE = dirname(fileURLToPath(import.meta.url));
const PAC = join(HERE, '..', 'core', 'common', 'parsers', 'fixtures', 'pacific-16.2.15');
const OSZ = join(HERE, '..', 'core', 'common', 'parsers', 'fixtures', 'openstack-zed');
const fx = (n: string, d = PAC): string => readFileSync(join(d, n), 'utf8');
export const POOLS = ['images', 'volumes', 'vms'] as const;
export const SITES = ['site-a', 'site-b'] as const;

export function uuid(i: number, salt: number): string {
  const h = (i * 2654435761 + salt * 40503).toString(16).padStart(12, '0').slice(-12);
  return `${salt.toString(16).padStart(8, '0')}-0000-4000-8000-${h}`;
}

type Doc = Record<string, unknown>;
const entries = (n: string): Doc[] => (JSON.parse(fx(n)) as { images: Doc[] }).images;

function poolStatus(names: string[], gids: string[], entry: Doc, peer: string, primary: boolean): string {
  const t0 = JSON.parse(fx('01-synced-mirror-pool-status-verbose-volumes-site-b.json')) as Doc;
  const split = entries('08-split-brain-mirror-pool-status-verbose-volumes-site-b.json')[0] ?? {};
  const images = names.map((n, i) => {
    const e: Doc = { ...entry, name: n, global_id: gids[i] };
    const peers = (entry['peer_sites'] as Doc[] | undefined) ?? [];
    e['peer_sites'] = peers.map((p) => ({ ...p, site_name: peer }));
    if (i % 100 === 7) Object.assign(e, { state: 'up+error', description: 'error bootstrapping replay' });
    if (i % 1000 === 13 && !primary)
      Object.assign(e, { state: split['state'] ?? 'up+error', description: split['description'] ?? 'split-brain' });
    return e;
  });
  return JSON.stringify({
    ...t0,
    summary: { health: 'OK', daemon_health: 'OK', image_health: 'OK', states: { replaying: names.length } },
    images,
  });
}

/** The pool reader's compact document (core/common/commands/rbd-pool-reader.ts) for a pool-status document. */
function readerDoc(pool: string, statusText: string, names: string[], salt: number): string {
  const st = JSON.parse(statusText) as { summary: Doc; daemons: Doc[]; images: Doc[] };
  const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const lines = [JSON.stringify({ v: 1, pool, mirror_mode: pool === 'vms' ? 'pool' : 'image' })];
  names.forEach((nm, i) => lines.push(JSON.stringify(['i', nm, `${salt}${i.toString(16)}`, 16777216, null, []])));
  for (const e of st.images)
    lines.push(
      JSON.stringify([
        'm',
        e['name'],
        e['global_id'],
        s(e['state']),
        s(e['description']),
        s(e['last_update']),
        s((e['daemon_service'] as Doc | undefined)?.['service_id']),
        ((e['peer_sites'] as Doc[] | undefined) ?? []).map((p) => [
          p['site_name'],
          p['mirror_uuids'],
          p['state'],
          p['description'],
          p['last_update'],
        ]),
      ]),
    );
  const daemons = st.daemons.map((d) => ({ ...d, callouts: d['callouts'] ?? [] }));
  lines.push(JSON.stringify({ end: 1, opened: 0, summary: st.summary, daemons }));
  return `${lines.join('\n')}\n`;
}

/** Writes the documents of an N-image deployment under `dir`; returns the bytes written. */
export function writeSyntheticLab(dir: string, n: number): number {
  mkdirSync(dir, { recursive: true });
  const tA = entries('01-synced-mirror-pool-status-verbose-volumes-site-a.json')[0] ?? {};
  const tJ = entries('01-synced-mirror-pool-status-verbose-volumes-site-b.json')[0] ?? {};
  const tS = entries('01-synced-mirror-pool-status-verbose-images-site-b.json')[0] ?? {};
  const counts = { images: Math.round(n * 0.1), volumes: Math.round(n * 0.5), vms: 0 };
  counts.vms = n - counts.images - counts.volumes;
  let bytes = 0;
  const put = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    bytes += text.length;
  };
  const glance: Doc[] = [];
  const volumes: Doc[] = [];
  const servers: Doc[] = [];
  for (const pool of POOLS) {
    const salt = pool === 'images' ? 1 : pool === 'volumes' ? 2 : 3;
    const ids = Array.from({ length: counts[pool] }, (_, i) => uuid(i, salt));
    const names = ids.map((id) => (pool === 'images' ? id : pool === 'volumes' ? `volume-${id}` : `${id}_disk`));
    const gids = ids.map((_, i) => uuid(i, salt + 10));
    const stA = poolStatus(names, gids, tA, 'site-b', true);
    const stB = poolStatus(names, gids, pool === 'images' ? tS : tJ, 'site-a', false);
    put(`site-a.${pool}.status`, stA);
    put(`site-b.${pool}.status`, stB);
    // Without --verbose a cluster prints the summary only (fixture mirror-pool-status-images-site-a.json): the
    // bench served the verbose document to every 5 s summary refresh, and its peak RSS counted that parse.
    for (const [site, text] of [
      ['site-a', stA],
      ['site-b', stB],
    ] as const)
      put(`${site}.${pool}.summary`, JSON.stringify({ summary: (JSON.parse(text) as Doc)['summary'] }));
    const ls = JSON.stringify(
      names.map((nm, i) => ({ image: nm, id: `${salt}${i.toString(16)}`, size: 16777216, format: 2 })),
    );
    put(`site-a.${pool}.ls`, ls);
    put(`site-b.${pool}.ls`, ls);
    // The pool reader's document for the same pool (what python3-rbd gives: the CLI's fields, compact rows).
    put(`site-a.${pool}.py`, readerDoc(pool, stA, names, salt));
    put(`site-b.${pool}.py`, readerDoc(pool, stB, names, salt));
    ids.forEach((id, i) => {
      const img = uuid(i % Math.max(1, counts.images), 1);
      if (pool === 'images')
        glance.push({ id, name: `img-${i}`, status: 'active', disk_format: 'raw', size: 1, stores: 'central,dcn0' });
      else if (pool === 'volumes' && i % 100 !== 3)
        volumes.push({
          id,
          name: `v${i}`,
          status: 'in-use',
          size: 1,
          volume_type: 'replicated',
          replication_status: 'enabled',
          availability_zone: 'nova',
          attachments: [],
          volume_image_metadata: { image_id: img },
        });
      else if (pool === 'vms')
        servers.push({
          id,
          name: `s${i}`,
          status: 'ACTIVE',
          'OS-EXT-AZ:availability_zone': 'nova',
          image: { id: img },
        });
    });
  }
  const stores = (JSON.parse(fx('glance-info-stores-detail.json', OSZ)) as { stores: unknown[] }).stores;
  put(
    'ctl.rest',
    JSON.stringify({ source: 'rest', images: glance, stores, volumes, servers, errors: {}, timingsMs: {} }),
  );
  return bytes;
}

/** Serves the files of writeSyntheticLab by argv (reads each file when asked, as stdout would arrive). */
export class SyntheticRunner implements CommandRunner {
  calls = 0;
  constructor(private readonly dir: string) {}

  async run(hostId: string, argv: string[], _options?: ExecOptions): Promise<ExecResult> {
    this.calls++;
    const res = (stdout: string, exitCode = 0, stderr = ''): ExecResult => ({
      hostId,
      argv,
      exitCode,
      signal: null,
      stdout,
      stderr,
      durationMs: 1,
      timedOut: false,
      truncated: false,
    });
    if (hostId === 'ctl') return res(readFileSync(join(this.dir, 'ctl.rest'), 'utf8'));
    const site = hostId === 'mon-a' ? 'site-a' : 'site-b';
    const peer = site === 'site-a' ? 'site-b' : 'site-a';
    const a = argv.join(' ');
    if (argv.includes('python3') && argv.includes(POOL_READER)) {
      // SWITCHYARD_BENCH_NO_PY: a host without python3-rbd, so discovery falls back to the CLI calls.
      if (process.env['SWITCHYARD_BENCH_NO_PY']) return res('', 1, "ModuleNotFoundError: No module named 'rados'");
      const file = join(this.dir, `${site}.${argv.at(-2) ?? ''}.py`);
      const onStdout = _options?.onStdout;
      if (!onStdout) return res(readFileSync(file, 'utf8'));
      // Streamed like SSH delivers it: ssh2 hands out Buffers of up to 32 KiB per data event, decoded one at a time
      // (never the pool's whole output as one string), the head kept as the pool would.
      const fd = openSync(file, 'r');
      const buf = Buffer.alloc(32 * 1024);
      const dec = new StringDecoder('utf8');
      const keep = _options.maxOutputBytes ?? Infinity;
      let head = '';
      try {
        for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
          const chunk = dec.write(buf.subarray(0, n));
          if (head.length < keep) head += chunk.slice(0, keep - head.length);
          onStdout(chunk);
          await new Promise<void>((r) => setImmediate(r));
        }
      } finally {
        closeSync(fd);
      }
      return res(head);
    }
    if (a.includes(' status --format json')) return res(fx(`ceph-s-${site}.json`));
    if (a.includes('osd pool ls detail')) return res(fx(`osd-pool-ls-detail-${site}.json`));
    if (a.includes(' df ')) return res(fx(`ceph-df-${site}.json`));
    const pool = POOLS.find((p) => argv.includes(p));
    if (!pool) return res('', 1, `unexpected ${a}`);
    if (a.includes('mirror pool info'))
      return res(
        JSON.stringify({
          mode: pool === 'vms' ? 'pool' : 'image',
          site_name: site,
          peers: [{ uuid: `peer-${pool}`, direction: 'rx-tx', site_name: peer, client_name: 'client.rbd-mirror-peer' }],
        }),
      );
    if (a.includes('mirror pool status'))
      return res(
        readFileSync(join(this.dir, `${site}.${pool}.${argv.includes('--verbose') ? 'status' : 'summary'}`), 'utf8'),
      );
    if (a.includes(' ls -l ')) return res(readFileSync(join(this.dir, `${site}.${pool}.ls`), 'utf8'));
    return res('', 1, `unexpected ${a}`);
  }
}
