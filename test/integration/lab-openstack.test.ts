/**
 * The OpenStack part of the lab (test/lab/openstack/openstack.sh + seed.sh) seen the way an operator sees it:
 * OpenSSH as `swyop` to the controller (host key checked against the lab's known_hosts), the stock `openstack`,
 * `glance` and `cinder` CLIs picking the lab's cloud from the session environment (OS_CLOUD /
 * OS_CLIENT_CONFIG_FILE / SWITCHYARD_OPENRC set by the controller's sshd), and `rbd` on each site's mon host.
 * Checks the seed of the migration blog: vm0..vm2 ACTIVE with their volumes, Glance stores, replicated in-use
 * volumes, and every server disk and volume present on site-a and mirrored, byte for byte, on site-b.
 *
 * Needs a running lab: `npm run lab:up` (SWITCHYARD_LAB_DIR / SWITCHYARD_LAB_NET select which one).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quoteArgv } from '../../core/common/commands/quote';

const LabJson = z.object({
  profile: z.enum(['default', 'migration']),
  labDir: z.string(),
  knownHostsPath: z.string(),
  hosts: z.array(
    z.object({
      name: z.string(),
      site: z.string().nullable(),
      role: z.string(),
      address: z.string(),
      port: z.number(),
      user: z.string(),
      privateKeyPath: z.string(),
    }),
  ),
});
type Lab = z.infer<typeof LabJson>;
type LabHost = Lab['hosts'][number];

const Sha = z.string().regex(/^[0-9a-f]{64}$/);
const OpenstackJson = z.object({
  profile: z.enum(['default', 'migration']),
  authUrl: z.string().url(),
  cloudName: z.string(),
  controller: z.object({ address: z.string(), sshPort: z.number(), user: z.string() }),
  client: z.object({ cloudsYaml: z.string(), openrc: z.string() }),
  endpoints: z.record(z.string(), z.string()),
  glance: z.object({ stores: z.array(z.object({ id: z.string(), type: z.string().nullable() })) }),
  cinder: z.object({ volumeTypes: z.array(z.object({ id: z.string(), name: z.string() })) }),
  seed: z.object({
    images: z.array(z.object({ name: z.string(), id: z.string(), stores: z.array(z.string()) })),
    servers: z.array(
      z.object({
        name: z.string(),
        id: z.string(),
        imageId: z.string(),
        disk: z.object({ pool: z.literal('vms'), image: z.string(), parent: z.string(), sha256: Sha }),
      }),
    ),
    volumes: z.array(
      z.object({
        name: z.string(),
        id: z.string(),
        type: z.string(),
        attachedTo: z.string(),
        rbd: z.object({ pool: z.literal('volumes'), image: z.string(), sha256: Sha }),
      }),
    ),
  }),
});
type Openstack = z.infer<typeof OpenstackJson>;

const LAB_DIR = process.env['SWITCHYARD_LAB_DIR'] ?? '/var/tmp/switchyard-lab';

function loadLab(): Lab {
  const path = join(LAB_DIR, 'lab.json');
  if (!existsSync(path)) throw new Error(`no lab at ${LAB_DIR} (missing ${path}): run npm run lab:up first`);
  return LabJson.parse(JSON.parse(readFileSync(path, 'utf8')));
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** One remote command as the operator, built from an argv through the single quoting function. */
async function ssh(lab: Lab, host: LabHost, argv: string[], timeoutMs = 90_000): Promise<string> {
  const args = [
    '-i',
    host.privateKeyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-p',
    String(host.port),
    `${host.user}@${host.address}`,
    quoteArgv(argv),
  ];
  const r = await run('ssh', args, timeoutMs);
  if (r.code !== 0) {
    throw new Error(`${argv.join(' ')} on ${host.name}: rc=${String(r.code)} ${r.stderr.trim().slice(-600)}`);
  }
  return r.stdout;
}

async function sshJson(lab: Lab, host: LabHost, argv: string[]): Promise<unknown> {
  return JSON.parse(await ssh(lab, host, argv));
}

async function pollUntil<T>(what: string, limitMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() - t0 > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what} ${last}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

const ServerShow = z.object({
  name: z.string(),
  id: z.string(),
  status: z.string(),
  volumes_attached: z.array(z.object({ id: z.string() })),
});
const VolumeShow = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  type: z.string(),
  replication_status: z.string().nullable(),
  attachments: z.array(z.object({ server_id: z.string() })),
});
const RbdLs = z.array(
  z.object({
    image: z.string(),
    parent: z.object({ pool: z.string(), image: z.string(), snapshot: z.string() }).optional(),
  }),
);
const MirrorPoolStatus = z.object({
  images: z.array(z.object({ name: z.string(), state: z.string(), description: z.string() })).optional(),
});

const lab = loadLab();
const osPath = join(lab.labDir, 'openstack.json');
const hasOpenstack = existsSync(osPath);
const os: Openstack | null = hasOpenstack ? OpenstackJson.parse(JSON.parse(readFileSync(osPath, 'utf8'))) : null;
const mirrored = lab.profile === 'default';

function hostBy(pred: (h: LabHost) => boolean, what: string): LabHost {
  const h = lab.hosts.find(pred);
  if (h === undefined) throw new Error(`lab.json has no ${what}`);
  return h;
}
const controller = (): LabHost => hostBy((h) => h.role === 'openstack-controller', 'openstack-controller host');
const mon = (site: string): LabHost => hostBy((h) => h.role === 'ceph-mon' && h.site === site, `mon host of ${site}`);
const seed = (): Openstack['seed'] => {
  if (os === null) throw new Error(`missing ${osPath}`);
  return os.seed;
};

describe.runIf(hasOpenstack)('lab: OpenStack on the controller (seeded)', () => {
  it('openstack.json matches the controller the lab described', () => {
    expect(os?.controller.address).toBe(controller().address);
    expect(os?.controller.sshPort).toBe(controller().port);
    expect(Object.keys(os?.endpoints ?? {}).sort()).toEqual(
      ['compute', 'identity', 'image', 'network', 'placement', 'volumev3'].sort(),
    );
    expect(seed().servers.map((s) => s.name)).toEqual(['vm0', 'vm1', 'vm2']);
    expect(seed().volumes.map((v) => v.name)).toEqual(['vo0', 'vo1', 'vo2']);
  });

  it('openstack server list shows vm0..vm2 ACTIVE, each with its volume', async () => {
    const list = z
      .array(z.object({ Name: z.string(), Status: z.string(), ID: z.string() }))
      .parse(await sshJson(lab, controller(), ['openstack', 'server', 'list', '-f', 'json']));
    for (const s of seed().servers) {
      expect(list.find((x) => x.ID === s.id)).toMatchObject({ Name: s.name, Status: 'ACTIVE' });
    }
    // One exec, several documents: `server show` per server, NUL-separated.
    const script = seed()
      .servers.map((s) => quoteArgv(['openstack', 'server', 'show', '-f', 'json', s.id]))
      .join(" && printf '\\0' && ");
    const docs = (await ssh(lab, controller(), ['bash', '-c', script])).split('\0');
    expect(docs).toHaveLength(3);
    for (const [i, doc] of docs.entries()) {
      const show = ServerShow.parse(JSON.parse(doc));
      const vol = seed().volumes[i];
      expect(show.name).toBe(`vm${i}`);
      expect(show.status).toBe('ACTIVE');
      expect(show.volumes_attached.map((v) => v.id)).toEqual([vol?.id]);
    }
  });

  it('glance stores-info lists central, dcn0 (default profile) and dcn1', async () => {
    const out = await ssh(lab, controller(), ['glance', 'stores-info']);
    // A prettytable whose Value cell (a JSON list) is wrapped over several rows: rejoin the cell, then parse it.
    const cell = out
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) => l.split('|')[2]?.trim() ?? '')
      .filter((v) => v !== '' && v !== 'Value')
      .join(' ');
    const stores = z.array(z.object({ id: z.string(), default: z.string().optional() })).parse(JSON.parse(cell));
    expect(stores.map((st) => st.id)).toEqual(mirrored ? ['central', 'dcn0', 'dcn1'] : ['central', 'dcn1']);
    expect(stores.find((st) => st.default === 'true')?.id).toBe('central');
    const cirros = seed().images.find((i) => i.name === 'cirros-raw');
    const show = z
      .object({ properties: z.object({ stores: z.string() }) })
      .parse(await sshJson(lab, controller(), ['openstack', 'image', 'show', '-f', 'json', cirros?.id ?? 'missing']));
    expect(show.properties.stores.split(',').sort()).toEqual(mirrored ? ['central', 'dcn0'] : ['central']);
  });

  it('openstack volume list shows vo0..vo2 in-use, replicated, attached to their servers', async () => {
    const list = z
      .array(z.object({ ID: z.string(), Name: z.string(), Status: z.string(), Type: z.string().optional() }))
      .parse(await sshJson(lab, controller(), ['openstack', 'volume', 'list', '--long', '-f', 'json']));
    for (const v of seed().volumes)
      expect(list.find((x) => x.ID === v.id)).toMatchObject({ Name: v.name, Status: 'in-use' });
    const script = seed()
      .volumes.map((v) => quoteArgv(['openstack', 'volume', 'show', '-f', 'json', v.id]))
      .join(" && printf '\\0' && ");
    const docs = (await ssh(lab, controller(), ['bash', '-c', script])).split('\0');
    for (const [i, doc] of docs.entries()) {
      const v = VolumeShow.parse(JSON.parse(doc));
      const want = seed().volumes[i];
      expect(v.status).toBe('in-use');
      expect(v.type).toBe(mirrored ? 'replicated' : 'standard');
      expect(v.replication_status).toBe(mirrored ? 'enabled' : 'disabled');
      expect(v.attachments.map((a) => a.server_id)).toEqual([want?.attachedTo]);
    }
    // The cinder CLI works too (it reads the openrc, not clouds.yaml), with the replication columns.
    const svc = await ssh(lab, controller(), [
      'cinder',
      '--os-volume-api-version',
      '3.64',
      'service-list',
      '--withreplication',
    ]);
    expect(svc).toMatch(/cinder-volume\s*\|\s*controller@ceph\s*\|.*\|\s*up\s*\|/);
    if (mirrored) expect(svc).toMatch(/controller@ceph[^\n]*\|\s*enabled\s*\|/);
  });

  it('every server disk is an RBD clone of its image snap in vms on site-a', async () => {
    const ls = RbdLs.parse(await sshJson(lab, mon('site-a'), ['rbd', 'ls', '-l', 'vms', '--format', 'json']));
    for (const s of seed().servers) {
      const e = ls.find((x) => x.image === `${s.id}_disk`);
      expect(e, `vms/${s.id}_disk on site-a`).toBeDefined();
      expect(e?.parent).toMatchObject({ pool: 'images', image: s.imageId, snapshot: 'snap' });
    }
    const vols = RbdLs.parse(await sshJson(lab, mon('site-a'), ['rbd', 'ls', '-l', 'volumes', '--format', 'json']));
    for (const v of seed().volumes) expect(vols.map((x) => x.image)).toContain(`volume-${v.id}`);
  });

  it.runIf(mirrored)('site-b replays every server disk and volume, with the same bytes', async () => {
    const want = [
      ...seed().servers.map((s) => ({ pool: 'vms', image: s.disk.image, sha256: s.disk.sha256 })),
      ...seed().volumes.map((v) => ({ pool: 'volumes', image: v.rbd.image, sha256: v.rbd.sha256 })),
    ];
    await pollUntil('site-b up+replaying for every seeded image', 120_000, async () => {
      for (const pool of ['vms', 'volumes']) {
        const st = MirrorPoolStatus.parse(
          await sshJson(lab, mon('site-b'), ['rbd', 'mirror', 'pool', 'status', pool, '--verbose', '--format', 'json']),
        );
        for (const w of want.filter((x) => x.pool === pool)) {
          const img = st.images?.find((i) => i.name === w.image);
          if (img?.state !== 'up+replaying' || !/"entries_behind_primary":0\b/.test(img.description)) return undefined;
        }
      }
      return true;
    });
    // Content: site-b's non-primary copies hash like the data seed.sh wrote on site-a.
    const script = want
      .map((w) => `rbd export ${quoteArgv([`${w.pool}/${w.image}`])} - 2>/dev/null | sha256sum | cut -d' ' -f1`)
      .join('; ');
    const sums = (await ssh(lab, mon('site-b'), ['bash', '-o', 'pipefail', '-c', script], 300_000)).trim().split('\n');
    expect(sums).toEqual(want.map((w) => w.sha256));
    // The clones' parent is mirrored too (clones need mirrored parents).
    const ls = RbdLs.parse(await sshJson(lab, mon('site-b'), ['rbd', 'ls', '-l', 'vms', '--format', 'json']));
    for (const s of seed().servers) {
      expect(ls.find((x) => x.image === s.disk.image)?.parent).toMatchObject({
        pool: 'images',
        image: s.imageId,
        snapshot: 'snap',
      });
    }
  });
});
