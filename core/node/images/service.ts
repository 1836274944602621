/**
 * Image distribution from the real clusters and Glance: one topology discovery (bulk `rbd ls -l` per pool, the
 * bulk REST inventory on the controller), then, only for images with a copy running, one Glance exec for their
 * import tasks, and, when asked, one header probe per (cluster, pool) for the images declared raw.
 */
import { controllerHost } from '../topology/discover-openstack';
import { discoverRaw, type Discovery } from '../topology/discover';
import type { Inventory } from '../../common/inventory/schema';
import type { CommandRunner } from '../../common/ports';
import { buildImageMatrix } from '../../common/images/matrix';
import { headProbeArgv, parseHeadProbe } from '../../common/images/format';
import {
  glanceOpArgv,
  GlanceOpError,
  parseGlanceOp,
  parseShowResult,
  type GlanceOp,
  type GlanceOpResult,
  type ImageState,
} from '../../common/images/glance-ops';
import type { FormatCheck, ImagesSnapshot } from '../../common/images/model';
import type { ImportTask } from '../../common/images/tasks';
import { usageRisk } from '../../common/images/usage';
import { copyProbeArgv, parseCopyProbe, type ProbeSpec, type StoreMeasurement } from '../../common/images/progress';
import type { GlanceStoreInfo } from '../../common/parsers/openstack';
import { storeEnd } from '../../common/wizard/runbooks/images-shared';

export type { ImagesSnapshot };

export interface ImagesServiceOptions {
  runner: CommandRunner;
  inventory(): Promise<Inventory | null>;
  secret?: (ref: string) => Promise<string>;
  now?: () => number;
  execTimeoutMs?: number;
}

export class ImagesNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagesNotReadyError';
  }
}

class CountingRunner implements CommandRunner {
  n = 0;
  constructor(private readonly inner: CommandRunner) {}
  run(...a: Parameters<CommandRunner['run']>): ReturnType<CommandRunner['run']> {
    this.n++;
    return this.inner.run(...a);
  }
}

export class ImagesService {
  private last: ImagesSnapshot | null = null;
  /** Glance's stores/detail from the last observation (file stores' data_dir for the copy probe). */
  private storeInfo: GlanceStoreInfo[] | null = null;
  constructor(private readonly o: ImagesServiceOptions) {}

  private async inventory(): Promise<Inventory> {
    const inv = await this.o.inventory();
    if (!inv) throw new ImagesNotReadyError('no valid inventory: fix it in the Inventory view first');
    return inv;
  }

  /** The last observation, if any (cheap: for the UI's first paint). */
  cached(): ImagesSnapshot | null {
    return this.last;
  }

  /** Observes everything again. `formatCheck` reads the header of each raw image (one exec per pool). */
  async observe(opts: { formatCheck?: boolean } = {}): Promise<ImagesSnapshot> {
    const now = this.o.now ?? Date.now;
    const t0 = now();
    const inventory = await this.inventory();
    const runner = new CountingRunner(this.o.runner);
    const d = await discoverRaw({
      runner,
      inventory,
      mode: 'full',
      openstack: 'auto',
      now,
      ...(this.o.secret ? { secret: this.o.secret } : {}),
      ...(this.o.execTimeoutMs ? { execTimeoutMs: this.o.execTimeoutMs } : {}),
    });
    const importing = (d.model.openstack?.images ?? []).filter((g) => g.importingToStores.length > 0).map((g) => g.id);
    const tasks: Record<string, ImportTask[]> = {};
    if (importing.length > 0) {
      const states = await this.showImages(importing, runner, inventory);
      for (const [id, st] of Object.entries(states)) tasks[id] = st.tasks;
    }
    if (d.openstack?.inventory?.stores.length) this.storeInfo = d.openstack.inventory.stores;
    const pairs = (d.model.openstack?.images ?? []).flatMap((g) =>
      g.importingToStores.map((store) => ({ id: g.id, store })),
    );
    const measured = pairs.length > 0 ? await this.measure(pairs, runner, inventory) : [];
    const formats = opts.formatCheck ? await checkFormats(d, runner) : undefined;
    const matrix = buildImageMatrix({
      model: d.model,
      clusters: d.clusters,
      tasks,
      measurements: Object.fromEntries(measured.map((m) => [`${m.id}/${m.store}`, m])),
      ...(formats ? { formats } : {}),
      now: now(),
    });
    const snap: ImagesSnapshot = {
      matrix,
      usage: usageRisk(d.model, d.clusters),
      durationMs: now() - t0,
      commands: runner.n,
    };
    this.last = snap;
    return snap;
  }

  /** One Glance operation through the controller (password from the vault on stdin when configured). */
  async op(op: GlanceOp, runner: CommandRunner = this.o.runner, inventory?: Inventory): Promise<GlanceOpResult> {
    const inv = inventory ?? (await this.inventory());
    const ctl = controllerHost(inv);
    if (!ctl) throw new GlanceOpError('no host with an openstack-controller role in the inventory', null);
    let stdin: string | undefined;
    if (ctl.role.passwordRef && this.o.secret) stdin = `${await this.o.secret(ctl.role.passwordRef)}\n`;
    const r = await runner.run(ctl.hostId, glanceOpArgv(ctl.role, op, { passwordOnStdin: stdin !== undefined }), {
      timeoutMs: op.op === 'create-import' ? 900_000 : 120_000,
      ...(stdin !== undefined ? { stdin, redact: [stdin.trim()] } : {}),
    });
    if (r.exitCode !== 0 && r.stdout.trim() === '')
      throw new GlanceOpError(
        `Glance operation failed on ${ctl.hostId} (exit ${r.exitCode ?? 'none'}): ${r.stderr.slice(-500)}`,
        null,
      );
    return parseGlanceOp(r.stdout);
  }

  /**
   * What each target store holds of some copies right now (progress.ts): one probe per store, in parallel, never
   * through Glance (which may not answer while it copies). A store that cannot be probed says why, per image.
   */
  async measure(
    pairs: { id: string; store: string }[],
    runner: CommandRunner = this.o.runner,
    inventory?: Inventory,
  ): Promise<StoreMeasurement[]> {
    const inv = inventory ?? (await this.inventory());
    const byStore = new Map<string, string[]>();
    for (const p of pairs) byStore.set(p.store, [...new Set([...(byStore.get(p.store) ?? []), p.id])]);
    if (!this.storeInfo && [...byStore.keys()].some((s) => !storeEndOrNull(inv, s))) {
      const info = await this.op({ op: 'info' }, runner, inv).catch(() => null);
      const list = ((info?.result ?? {}) as { stores?: { id?: string; properties?: { data_dir?: string } }[] }).stores;
      if (list)
        this.storeInfo = list.flatMap((x) =>
          x.id
            ? [
                {
                  id: x.id,
                  description: null,
                  isDefault: false,
                  type: null,
                  pool: null,
                  dataDir: x.properties?.data_dir ?? null,
                },
              ]
            : [],
        );
    }
    const out = await Promise.all(
      [...byStore.entries()].map(async ([store, ids]): Promise<StoreMeasurement[]> => {
        const fail = (error: string, source = store): StoreMeasurement[] =>
          ids.map((id) => ({ id, store, exists: null, bytes: null, provisioned: null, snap: false, source, error }));
        let spec: ProbeSpec;
        let host: string;
        const end = storeEndOrNull(inv, store);
        if (end) {
          spec = { kind: 'rbd', cluster: end.cluster, pool: end.pool, target: end.target };
          host = end.host;
        } else {
          const ctl = controllerHost(inv);
          const dir = this.storeInfo?.find((x) => x.id === store)?.dataDir ?? null;
          if (!ctl || !dir)
            return fail(`store ${store}: not an RBD store in the inventory and Glance gave no data_dir`);
          spec = { kind: 'file', host: ctl.hostId, dataDir: dir };
          host = ctl.hostId;
        }
        try {
          const r = await runner.run(host, copyProbeArgv(spec, ids), { timeoutMs: 30_000 + 2_000 * ids.length });
          if (r.exitCode !== 0) return fail(`probe on ${host} exit ${r.exitCode ?? 'none'}: ${r.stderr.slice(-300)}`);
          return parseCopyProbe(r.stdout, store, spec, ids);
        } catch (e) {
          return fail(`probe on ${host}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
    return out.flat();
  }

  async showImages(
    ids: string[],
    runner: CommandRunner = this.o.runner,
    inventory?: Inventory,
  ): Promise<Record<string, ImageState>> {
    const r = await this.op({ op: 'show', ids }, runner, inventory);
    if (!r.ok) throw new GlanceOpError(r.message ?? r.error ?? 'show failed', r.status ?? null);
    return parseShowResult(r);
  }
}

/** Header probe of every image declared raw, at one store that holds it, one exec per (cluster, pool). */
export async function checkFormats(d: Discovery, runner: CommandRunner): Promise<Record<string, FormatCheck>> {
  const groups = new Map<
    string,
    { cluster: string; pool: string; ids: string[]; declared: Record<string, string | null> }
  >();
  const stores = d.model.glanceStores.filter((s) => s.cluster && s.pool && s.type !== 'file');
  for (const g of d.model.openstack?.images ?? []) {
    if (g.diskFormat !== 'raw' || g.status !== 'active') continue;
    for (const s of stores) {
      if (!g.stores.includes(s.id)) continue;
      const obs = d.clusters.find((c) => c.cluster === s.cluster);
      const listing = obs?.pools.find((p) => p.pool === s.pool)?.listing;
      if (!obs?.reachable || !listing?.some((i) => i.name === g.id && i.snapshots.some((x) => x.name === 'snap')))
        continue;
      const k = `${s.cluster ?? ''}/${s.pool ?? ''}`;
      const grp = groups.get(k) ?? { cluster: s.cluster ?? '', pool: s.pool ?? '', ids: [], declared: {} };
      grp.ids.push(g.id);
      grp.declared[g.id] = g.diskFormat;
      groups.set(k, grp);
      break;
    }
  }
  const out: Record<string, FormatCheck> = {};
  await Promise.all(
    [...groups.values()].map(async (grp) => {
      const obs = d.clusters.find((c) => c.cluster === grp.cluster);
      if (!obs?.hostId || !obs.target) return;
      const r = await runner.run(obs.hostId, headProbeArgv(obs.target, grp.pool, grp.ids), {
        timeoutMs: 30_000 + 5_000 * grp.ids.length,
      });
      if (r.exitCode !== 0) {
        for (const id of grp.ids)
          out[id] = {
            declared: 'raw',
            detected: null,
            source: `${grp.cluster}/${grp.pool}`,
            head: null,
            error: `probe failed (exit ${r.exitCode ?? 'none'}): ${r.stderr.slice(-300)}`,
            mislabelled: false,
          };
        return;
      }
      Object.assign(out, parseHeadProbe(r.stdout, grp, grp.declared));
    }),
  );
  return out;
}

function storeEndOrNull(inv: Inventory, store: string): ReturnType<typeof storeEnd> {
  try {
    return storeEnd(inv, store);
  } catch {
    // An RBD store without a ceph-mon host of its cluster: not probed (the caller says so per image).
    return null;
  }
}
