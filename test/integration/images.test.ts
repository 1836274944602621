/**
 * Image distribution on the real lab (test/lab/lab.sh with OpenStack: Glance stores central = site-a/images,
 * dcn0 = site-b/images, dcn1 = file store). Everything here uses images this test creates and removes: an import
 * into central+dcn0, an import into central then a copy to dcn0+dcn1, a refused store delete while a clone
 * exists in site-b and an accepted one after it is gone, deactivate/reactivate, and a qcow2 file planted as raw
 * (the import wizard refuses it; planted directly, the format check flags it). The lab's state is checked
 * independently afterwards with the `rbd` and `openstack` CLIs. Skipped without a lab with OpenStack.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteArg } from '../../core/common/commands/quote';
import type { RunState } from '../../core/common/wizard/journal';
import { ImagesService } from '../../core/node/images/service';
import { WizardService } from '../../core/node/wizard/service';
import { labDir, openTopologyLab, type TopologyLab } from './support/topology-lab';

const dir = labDir();
const tag = `swy-h8-${Date.now().toString(36)}`;
const RAW = `/tmp/${tag}.raw`;
const QCOW = `/tmp/${tag}.qcow2`;

describe.skipIf(!dir)('images on the real lab', () => {
  let lab: TopologyLab;
  let wiz: WizardService;
  let svc: ImagesService;
  let openrc = '';
  let glanceUrl = '';
  let dcn1Dir = '';
  /** Independent of the console's Glance program: the image's tasks straight from the API (token on stdin). */
  const tasksOf = async (
    id: string,
  ): Promise<{ status: string; input?: { import_req?: { method?: { name?: string }; stores?: string[] } } }[]> => {
    const r = await ctl([
      'sh',
      '-c',
      `. ${quoteArg(openrc)} && T=$(openstack token issue -f value -c id) && printf 'X-Auth-Token: %s\n' "$T" | curl -sf -H @- "$1/v2/images/$2/tasks"`,
      'sh',
      glanceUrl,
      id,
    ]);
    if (r.exitCode !== 0) throw new Error(`tasks of ${id}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { tasks: [] }).tasks;
  };
  const created: string[] = [];
  const ctl = (argv: string[]) => lab.pool.run('controller', argv, { timeoutMs: 300_000 });
  const osCli = async (args: string[]): Promise<Record<string, unknown>> => {
    const r = await ctl(['sh', '-c', `. ${quoteArg(openrc)} && exec "$@"`, 'sh', 'openstack', ...args, '-f', 'json']);
    if (r.exitCode !== 0) throw new Error(`openstack ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  /** For commands without JSON output (delete). */
  const osDo = async (args: string[]): Promise<void> => {
    const r = await ctl(['sh', '-c', `. ${quoteArg(openrc)} && exec "$@"`, 'sh', 'openstack', ...args]);
    if (r.exitCode !== 0) throw new Error(`openstack ${args.join(' ')}: ${r.stderr}`);
  };
  const storesOf = async (id: string): Promise<string[]> => {
    const s = await osCli(['image', 'show', id]);
    const props = (s['properties'] ?? {}) as Record<string, unknown>;
    return String(props['stores'] ?? s['stores'] ?? '')
      .split(',')
      .filter((x) => x !== '')
      .sort();
  };
  const rbd = async (site: string, ...args: string[]): Promise<string> => {
    const c = lab.lab.clusters.find((x) => x.name === site);
    if (!c) throw new Error(site);
    const r = await lab.onSite(site, ['rbd', '--conf', c.confPath, '--keyring', c.keyringPath, ...args]);
    if (r.exitCode !== 0) throw new Error(`rbd ${args.join(' ')} on ${site}: ${r.stderr}`);
    return r.stdout;
  };
  /** Independent check: the object and its protected @snap in that cluster. */
  const rbdHas = async (site: string, id: string): Promise<string> => {
    const rows = JSON.parse(await rbd(site, 'ls', '-l', 'images', '--format', 'json')) as {
      image: string;
      snapshot?: string;
      protected?: string;
    }[];
    const mine = rows.filter((r) => r.image === id);
    if (mine.length === 0) return 'absent';
    return mine.some((r) => r.snapshot === 'snap' && r.protected === 'true') ? 'object+protected-snap' : 'object-only';
  };
  /** A full observation; under load the lab's Glance can time out the bulk list once: try again (and say so). */
  const observe = async (formatCheck = false): Promise<Awaited<ReturnType<ImagesService['observe']>>> => {
    let snap = await svc.observe({ formatCheck });
    for (let i = 0; i < 3 && snap.matrix.problems.some((p) => /OpenStack|Glance/.test(p)); i++) {
      console.log(`observe again: ${snap.matrix.problems.join('; ')}`);
      snap = await svc.observe({ formatCheck });
    }
    return snap;
  };
  const run = async (id: string, params: unknown, confirmations?: Record<string, string>): Promise<RunState> =>
    wiz.start(id, params, confirmations ? { confirmations } : {});
  const importRaw = async (name: string, stores: string[]): Promise<string> => {
    const st = await run('images-import', {
      name,
      diskFormat: 'raw',
      sourcePath: RAW,
      stores,
      allStoresMustSucceed: true,
      pollSec: 1,
    });
    expect(st.status, st.lastMessage).toBe('succeeded');
    const id = wiz.detail(st.runId).state.facts['imageId'];
    expect(typeof id).toBe('string');
    created.push(id as string);
    return id as string;
  };

  beforeAll(async () => {
    lab = await openTopologyLab(dir ?? '');
    const osj = JSON.parse((await import('node:fs')).readFileSync(join(dir ?? '', 'openstack.json'), 'utf8')) as {
      client: { openrc: string };
    };
    openrc = osj.client.openrc;
    const full = JSON.parse((await import('node:fs')).readFileSync(join(dir ?? '', 'openstack.json'), 'utf8')) as {
      endpoints: { image: string };
      glance: { stores: { id: string; dataDir?: string }[] };
    };
    glanceUrl = full.endpoints.image;
    dcn1Dir = full.glance.stores.find((x) => x.id === 'dcn1')?.dataDir ?? '';
    const home = mkdtempSync(join(tmpdir(), 'swy-h8-wiz-'));
    wiz = new WizardService({
      home,
      runner: lab.pool,
      operator: 'test',
      inventory: () => Promise.resolve(lab.inventory),
    });
    svc = new ImagesService({ runner: lab.pool, inventory: () => Promise.resolve(lab.inventory) });
    // 16 MiB raw disk: an MBR boot signature, random data; and the same converted to qcow2 (planted as raw below).
    const mk = await ctl([
      'sh',
      '-c',
      'head -c 16777216 /dev/urandom > "$1" && printf "\\125\\252" | dd of="$1" bs=1 seek=510 conv=notrunc status=none && dd if=/dev/zero of="$1" bs=4 count=1 conv=notrunc status=none && qemu-img convert -f raw -O qcow2 "$1" "$2"',
      'sh',
      RAW,
      QCOW,
    ]);
    expect(mk.exitCode, mk.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const id of created) await svc.op({ op: 'delete', id }, lab.pool, lab.inventory).catch(() => null);
    await rbd('site-b', 'rm', '--no-progress', `vms/${tag}-clone`).catch(() => '');
    await ctl(['rm', '-f', RAW, QCOW]).catch(() => null);
    // Independently: nothing of ours is left in either cluster.
    for (const site of ['site-a', 'site-b']) {
      const rows = JSON.parse(await rbd(site, 'ls', '-l', 'images', '--format', 'json').catch(() => '[]')) as {
        image: string;
      }[];
      expect(
        rows.filter((r) => created.includes(r.image)),
        `${site} images left`,
      ).toEqual([]);
    }
    wiz?.close();
    lab?.close();
  }, 300_000);

  it('imports into central and dcn0 at once; both clusters hold object + protected snap', async () => {
    const id = await importRaw(`${tag}-multi`, ['central', 'dcn0']);
    expect(await storesOf(id)).toEqual(['central', 'dcn0']);
    expect(await rbdHas('site-a', id)).toBe('object+protected-snap');
    expect(await rbdHas('site-b', id)).toBe('object+protected-snap');
    const snap = await observe();
    const row = snap.matrix.rows.find((r) => r.id === id);
    expect(row, snap.matrix.problems.join('; ')).toBeDefined();
    expect(row?.cells['central']).toMatchObject({ state: 'present', data: 'ok' });
    expect(row?.cells['dcn0']).toMatchObject({ state: 'present', data: 'ok' });
    expect(row?.cells['dcn1']).toMatchObject({ state: 'absent', data: 'file-store' });
    console.log(
      `matrix: ${snap.matrix.rows.length} images × ${snap.matrix.stores.length} stores in ${snap.durationMs} ms, ${snap.commands} remote commands`,
    );
  }, 300_000);

  it('copies to dcn0 and dcn1 with copy-image, then refuses a store delete while a clone exists, accepts it after', async () => {
    const id = await importRaw(`${tag}-copy`, ['central']);
    expect(await rbdHas('site-b', id)).toBe('absent');
    const t0 = Date.now();
    const st = await run('images-copy', {
      images: [id],
      stores: ['dcn0', 'dcn1'],
      allStoresMustSucceed: false,
      pollSec: 1,
    });
    expect(st.status, st.lastMessage).toBe('succeeded');
    console.log(`copy-image 16 MiB to dcn0+dcn1: ${Date.now() - t0} ms`);
    const d = wiz.detail(st.runId);
    const ver = d.records.filter((r) => r.type === 'verified');
    expect(JSON.stringify(ver)).toContain(`dcn0 (site-b/images/${id}@snap): ok`);
    expect(await storesOf(id)).toEqual(['central', 'dcn0', 'dcn1']);
    expect(await rbdHas('site-b', id)).toBe('object+protected-snap');

    // A clone in site-b (as Nova makes for a server disk) pins the dcn0 copy.
    await rbd('site-b', 'clone', `images/${id}@snap`, `vms/${tag}-clone`);
    const m = await observe();
    expect(m.matrix.rows.find((r) => r.id === id)?.cells['dcn0']?.clones).toBe(1);
    expect(
      m.usage
        .find((u) => u.site === 'site-b')
        ?.clones.some((c) => c.name === `${tag}-clone` && c.parentStore === 'dcn0'),
    ).toBe(true);
    const refused = await run('images-delete-store', { image: id, store: 'dcn0' }, { 'delete-from-store': 'dcn0' });
    expect(refused.status).toBe('failed');
    expect(refused.lastMessage).toMatch(/no clones in site-b/);
    expect(await storesOf(id)).toEqual(['central', 'dcn0', 'dcn1']);
    expect(await rbdHas('site-b', id)).toBe('object+protected-snap');

    // Wrong typed confirmation: nothing happens.
    await rbd('site-b', 'rm', '--no-progress', `vms/${tag}-clone`);
    const wrong = await run('images-delete-store', { image: id, store: 'dcn0' }, { 'delete-from-store': 'dcn1' });
    expect(wrong.status).toBe('waiting-confirmation');
    expect(await storesOf(id)).toEqual(['central', 'dcn0', 'dcn1']);
    await wiz.confirm(wrong.runId, 'delete-from-store', 'dcn0');
    const ok = await wiz.resume(wrong.runId);
    expect(ok.status, ok.lastMessage).toBe('succeeded');
    expect(await storesOf(id)).toEqual(['central', 'dcn1']);
    expect(await rbdHas('site-b', id)).toBe('absent');
    expect(await rbdHas('site-a', id)).toBe('object+protected-snap');
  }, 600_000);

  it("deactivates and reactivates; copy-image of a deactivated image is refused with Glance's words", async () => {
    const id = created[0] ?? '';
    const d = await run('images-activation', { image: id, action: 'deactivate' });
    expect(d.status, d.lastMessage).toBe('succeeded');
    expect((await osCli(['image', 'show', id]))['status']).toBe('deactivated');
    const c = await run('images-copy', { images: [id], stores: ['dcn1'], allStoresMustSucceed: true });
    expect(c.status).toBe('failed');
    expect(JSON.stringify(wiz.detail(c.runId).records)).toContain("can only be used on an image with status 'active'");
    const r = await run('images-activation', { image: id, action: 'reactivate' });
    expect(r.status, r.lastMessage).toBe('succeeded');
    expect((await osCli(['image', 'show', id]))['status']).toBe('active');
  }, 300_000);

  it('usage risk: a volume and a server whose image is not in their site, and a Cinder clone; repaired by copies', async () => {
    // Conditions made for real: E only in dcn0 (site-b), C only in central (site-a).
    const edge = await importRaw(`${tag}-edge`, ['dcn0']);
    const ctr = await importRaw(`${tag}-ctr`, ['central']);
    expect(await storesOf(edge)).toEqual(['dcn0']);
    expect(await storesOf(ctr)).toEqual(['central']);
    const volumes: string[] = [];
    let server = '';
    const diskB = () => `vms/${server}_disk`;
    try {
      // Cinder's backend is site-a: a volume from E pulls the image across sites (a full copy, no clone); a volume
      // from C is an RBD clone of site-a's images/C@snap.
      const vCross = String(
        (await osCli(['volume', 'create', '--image', edge, '--size', '1', '--type', 'standard', `${tag}-vx`]))['id'],
      );
      volumes.push(vCross);
      const vClone = String(
        (await osCli(['volume', 'create', '--image', ctr, '--size', '1', '--type', 'standard', `${tag}-vc`]))['id'],
      );
      volumes.push(vClone);
      // A server at site-b booted from C: Nova's fake driver makes no disk, so make the one the libvirt rbd backend
      // makes when the image is not in the local store: a flat copy in site-b's vms pool (seed.py does the same
      // for the seed servers' clones).
      const srv = await osCli([
        '--os-compute-api-version',
        '2.79',
        'server',
        'create',
        '--image',
        ctr,
        '--flavor',
        'm1.seed',
        '--nic',
        'none',
        '--wait',
        `${tag}-srv`,
      ]);
      server = String(srv['id']);
      await rbd('site-b', 'create', '--size', '16M', diskB());
      for (let i = 0; i < 120; i++) {
        const st = await Promise.all(volumes.map(async (v) => String((await osCli(['volume', 'show', v]))['status'])));
        if (st.every((x) => x === 'available')) break;
        if (st.includes('error')) throw new Error(`volume went to error: ${st.join(', ')}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      // Independently: the cross-site volume is a full copy, the other one a clone of site-a's images/C@snap.
      const info = async (v: string) =>
        JSON.parse(await rbd('site-a', 'info', '--format', 'json', `volumes/volume-${v}`)) as {
          parent?: { pool: string; image: string; snapshot: string };
        };
      expect((await info(vCross)).parent).toBeUndefined();
      expect((await info(vClone)).parent).toMatchObject({ pool: 'images', image: ctr, snapshot: 'snap' });

      const before = await observe();
      const at = (site: string) => before.usage.find((u) => u.site === site);
      console.log(
        `usage before: ${JSON.stringify(before.usage.map((u) => ({ site: u.site, cross: u.crossSite.map((c) => `${c.kind} ${c.name ?? c.id}`), clones: u.clones.length, local: u.localUses })))}`,
      );
      expect(at('site-a')?.crossSite).toContainEqual(
        expect.objectContaining({
          kind: 'volume',
          id: vCross,
          imageId: edge,
          imageStores: ['dcn0'],
          siteFrom: 'rbd-disk',
        }),
      );
      expect(at('site-b')?.crossSite).toContainEqual(
        expect.objectContaining({
          kind: 'server',
          id: server,
          imageId: ctr,
          imageStores: ['central'],
          siteFrom: 'rbd-disk',
        }),
      );
      expect(at('site-a')?.clones).toContainEqual(
        expect.objectContaining({
          pool: 'volumes',
          name: `volume-${vClone}`,
          kind: 'volume',
          parentImage: ctr,
          parentStore: 'central',
        }),
      );
      // The clone pins central's copy of C: deleting it there is refused.
      const refused = await run(
        'images-delete-store',
        { image: ctr, store: 'central' },
        { 'delete-from-store': 'central' },
      );
      expect(refused.status).toBe('failed');
      expect(await storesOf(ctr)).toEqual(['central']);
      // Seed servers' disks are mirrored to site-b: their replicas are not uses at site-b.
      const seedCross = (at('site-b')?.crossSite ?? []).filter((c) => c.kind === 'server' && c.id !== server);
      expect(seedCross, 'mirrored replicas counted as site-b boots').toEqual([]);

      // Repair: copy E to central and C to dcn0; the findings go.
      const fix = await run('images-copy', {
        images: [edge, ctr],
        stores: ['central', 'dcn0'],
        allStoresMustSucceed: true,
        pollSec: 1,
      });
      expect(fix.status, fix.lastMessage).toBe('succeeded');
      expect(await storesOf(edge)).toEqual(['central', 'dcn0']);
      expect(await storesOf(ctr)).toEqual(['central', 'dcn0']);
      expect(await rbdHas('site-a', edge)).toBe('object+protected-snap');
      expect(await rbdHas('site-b', ctr)).toBe('object+protected-snap');
      const after = await observe();
      const ids = (site: string) => (after.usage.find((u) => u.site === site)?.crossSite ?? []).map((c) => c.id);
      expect(ids('site-a')).not.toContain(vCross);
      expect(ids('site-b')).not.toContain(server);
    } finally {
      if (server) {
        await osDo(['server', 'delete', '--wait', server]).catch((e: unknown) =>
          console.log(`server delete: ${String(e)}`),
        );
        await rbd('site-b', 'rm', '--no-progress', diskB()).catch(() => '');
      }
      for (const v of volumes)
        await osDo(['volume', 'delete', v]).catch((e: unknown) => console.log(`volume delete: ${String(e)}`));
      // Glance refuses to delete C while the clone of its snap exists: wait for Cinder to remove the volumes.
      for (let i = 0; i < 90; i++) {
        const left = await ctl(['sh', '-c', `. ${quoteArg(openrc)} && exec openstack volume list -f value -c ID`]);
        if (!volumes.some((v) => left.stdout.includes(v))) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }, 900_000);

  it('retries a failed store copy (a stray file in dcn1), says after how many attempts, then succeeds once it is gone', async () => {
    const id = await importRaw(`${tag}-retry`, ['central']);
    // A leftover of an interrupted copy: the file store refuses to overwrite it (glance_store Duplicate), and with
    // all_stores_must_succeed=false Glance marks dcn1 in os_glance_failed_import.
    expect(dcn1Dir.startsWith('/')).toBe(true);
    const stray = await ctl(['sudo', '-n', 'sh', '-c', 'printf stray > "$1/$2"', 'sh', dcn1Dir, id]);
    expect(stray.exitCode, stray.stderr).toBe(0);
    try {
      const st = await run('images-copy', {
        images: [id],
        stores: ['dcn1'],
        allStoresMustSucceed: false,
        attempts: 2,
        pollSec: 1,
      });
      expect(st.status).toBe('failed');
      const rec = JSON.stringify(wiz.detail(st.runId).records);
      expect(rec).toContain(`${id}→dcn1 after 2 attempt(s)`);
      // Independently: Glance ran two copy-image tasks to dcn1, and does not list the store.
      const copies = (await tasksOf(id)).filter(
        (t) => t.input?.import_req?.method?.name === 'copy-image' && t.input.import_req.stores?.includes('dcn1'),
      );
      expect(copies.length).toBe(2);
      expect(await storesOf(id)).toEqual(['central']);
    } finally {
      await ctl(['sudo', '-n', 'rm', '-f', '--', `${dcn1Dir}/${id}`]);
    }
    const ok = await run('images-copy', { images: [id], stores: ['dcn1'], allStoresMustSucceed: false, pollSec: 1 });
    expect(ok.status, ok.lastMessage).toBe('succeeded');
    expect(await storesOf(id)).toEqual(['central', 'dcn1']);
    const size = await ctl(['stat', '-c', '%s', `${dcn1Dir}/${id}`]);
    expect(size.stdout.trim()).toBe('16777216');
  }, 600_000);

  it('a qcow2 file declared raw: the import wizard refuses it; planted anyway, the format check flags it', async () => {
    const st = await run('images-import', {
      name: `${tag}-bad`,
      diskFormat: 'raw',
      sourcePath: QCOW,
      stores: ['central'],
      allStoresMustSucceed: true,
    });
    expect(st.status).toBe('failed');
    expect(JSON.stringify(wiz.detail(st.runId).records)).toContain('declared raw but the file is qcow2');
    const planted = await svc.op(
      {
        op: 'create-import',
        name: `${tag}-bad`,
        diskFormat: 'raw',
        containerFormat: 'bare',
        sourcePath: QCOW,
        stores: ['central'],
        allStoresMustSucceed: true,
      },
      lab.pool,
      lab.inventory,
    );
    const id = (planted.result as { id: string }).id;
    created.push(id);
    expect(planted.ok, planted.message ?? '').toBe(true);
    let stores: string[] = [];
    for (let i = 0; i < 60 && !stores.includes('central'); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      stores = await storesOf(id);
    }
    expect(await rbdHas('site-a', id)).toBe('object+protected-snap');
    const snap = await observe(true);
    const bad = snap.matrix.rows.find((r) => r.id === id);
    expect(bad?.format).toMatchObject({ declared: 'raw', detected: 'qcow2', mislabelled: true });
    expect(bad?.problems.join()).toContain('declared raw but the data is qcow2');
    const good = snap.matrix.rows.find((r) => r.id === created[0]);
    expect(good?.format).toMatchObject({ detected: 'raw', mislabelled: false });
    // Independently: the first bytes of the RBD object are the qcow2 magic.
    const c = lab.lab.clusters.find((x) => x.name === 'site-a');
    const head = await lab.onSite('site-a', [
      'sh',
      '-c',
      'rbd --conf "$1" --keyring "$2" export --no-progress "$3" - | head -c 4 | od -An -tx1',
      'sh',
      c?.confPath ?? '',
      c?.keyringPath ?? '',
      `images/${id}@snap`,
    ]);
    expect(head.stdout.replace(/\s/g, '')).toBe('514649fb');
  }, 300_000);
});
