/**
 * Shared by the image wizards (images-*.ts): the controller and store ends from the inventory, Glance operations
 * through the controller (ONE exec of the Glance ops program, journaled like any command), and the RBD check of
 * a store's cluster from one `rbd ls -l` of the store's pool.
 */
import { z } from 'zod';
import { cephTargetFromRole, type CephTarget } from '../../commands/ceph';
import { rbdLsLong } from '../../commands/rbd';
import type { OpenstackRole } from '../../commands/openstack';
import { nameSchema, type Inventory } from '../../inventory/schema';
import { parseRbdLsLong, type RbdListedImage } from '../../parsers/rbd';
import {
  glanceOpArgv,
  parseGlanceOp,
  parseShowResult,
  type GlanceOp,
  type GlanceOpResult,
  type ImageState,
} from '../../images/glance-ops';
import { copyProbeArgv, parseCopyProbe, type ProbeSpec, type StoreMeasurement } from '../../images/progress';
import { StepFailedError } from '../errors';
import type { PlanContext, RunOptions, StepContext } from '../types';

export const controllerParam = nameSchema
  .optional()
  .describe('inventory host with the openstack-controller role (default: the first one)');
export const storeList = z
  .array(nameSchema)
  .min(1)
  .refine((s) => new Set(s).size === s.length, 'store names must be unique');

export function controllerOf(inv: Inventory, host?: string): { host: string; role: OpenstackRole } {
  for (const h of inv.hosts) {
    if (host && h.id !== host) continue;
    for (const r of h.roles) if (r.kind === 'openstack-controller') return { host: h.id, role: r };
  }
  throw new Error(
    host
      ? `inventory host ${host} has no openstack-controller role`
      : 'no host with an openstack-controller role in the inventory',
  );
}

export interface StoreEnd {
  store: string;
  cluster: string;
  pool: string;
  host: string;
  target: CephTarget;
}

/** The cluster end of an RBD store (inventory `glance.stores` + a `ceph-mon` host of that cluster); null for file stores. */
export function storeEnd(inv: Inventory, store: string): StoreEnd | null {
  const s = inv.glance.stores.find((x) => x.id === store);
  if (!s?.cluster || !s.pool) return null;
  for (const h of inv.hosts)
    for (const r of h.roles)
      if (r.kind === 'ceph-mon' && r.cluster === s.cluster)
        return { store, cluster: s.cluster, pool: s.pool, host: h.id, target: cephTargetFromRole(r) };
  throw new Error(`store ${store}: no inventory host with a ceph-mon role for cluster ${s.cluster}`);
}

export const glanceCommand = (
  c: PlanContext<{ controller?: string | undefined }>,
  op: GlanceOp,
): { host: string; argv: string[] } => {
  const ctl = controllerOf(c.inventory, c.params.controller);
  return { host: ctl.host, argv: glanceOpArgv(ctl.role, op) };
};

type AnyCtx = StepContext<{ controller?: string | undefined }>;

/** Runs one Glance operation; a transport/program failure throws, a Glance refusal comes back as `ok: false`. */
export async function glance(ctx: AnyCtx, op: GlanceOp, opts: RunOptions = {}): Promise<GlanceOpResult> {
  const { host, argv } = glanceCommand(ctx, op);
  const r = await ctx.run(host, argv, {
    okExitCodes: [0, 1],
    timeoutMs: op.op === 'create-import' ? 900_000 : 120_000,
    ...opts,
  });
  if (r.stdout.trim() === '')
    throw new StepFailedError(
      `Glance operation ${op.op} printed nothing (exit ${r.exitCode ?? 'none'})`,
      r.stderr.slice(-2000),
    );
  try {
    return parseGlanceOp(r.stdout);
  } catch (e) {
    throw new StepFailedError(e instanceof Error ? e.message : String(e), r.stderr.slice(-2000), { cause: e });
  }
}

/** Image + import tasks for each id (404 → image null). */
export async function showImages(
  ctx: AnyCtx,
  ids: string[],
  purpose: RunOptions['purpose'] = 'verify',
): Promise<Record<string, ImageState>> {
  const r = await glance(ctx, { op: 'show', ids }, { purpose });
  if (!r.ok) throw new StepFailedError(`Glance: ${r.message ?? r.error ?? 'show failed'}`);
  return parseShowResult(r);
}

/**
 * For polls: a slow or busy Glance (its API workers also run the imports; a read can time out under load) is
 * not a failure of the copy. Returns null on a timeout / 5xx; the caller polls again, a bounded number of times.
 */
export async function pollImages(ctx: AnyCtx, ids: string[]): Promise<Record<string, ImageState> | null> {
  const r = await glance(ctx, { op: 'show', ids }, { purpose: 'poll' });
  if (!r.ok) {
    if ((r.status ?? 0) === 0 || (r.status ?? 0) >= 500) return null;
    throw new StepFailedError(`Glance: ${r.message ?? r.error ?? 'show failed'}`);
  }
  // Per-image errors (timeouts inside the program) also count as "try again".
  const st = parseShowResult(r);
  return Object.values(st).some((x) => x.image === null && (x.status ?? 0) !== 404) ? null : st;
}

/** One `rbd ls -l` of a store's pool. */
export async function listStore(
  ctx: AnyCtx,
  end: StoreEnd,
  purpose: RunOptions['purpose'] = 'verify',
): Promise<RbdListedImage[]> {
  const r = await ctx.run(end.host, rbdLsLong(end.target, end.pool), { purpose });
  if (r.exitCode !== 0)
    throw new StepFailedError(
      `rbd ls -l ${end.cluster}/${end.pool} failed (exit ${r.exitCode ?? 'none'})`,
      r.stderr.slice(-2000),
    );
  const p = parseRbdLsLong(r.stdout);
  if (!p.ok) throw new StepFailedError(p.error.message, p.error.snippet);
  return p.value.images;
}

/** "ok" when the object and its protected @snap exist, else what is missing. */
export function rbdCopyState(
  listing: RbdListedImage[],
  imageId: string,
): 'ok' | 'no-object' | 'no-snap' | 'snap-unprotected' {
  const o = listing.find((i) => i.name === imageId);
  if (!o) return 'no-object';
  const s = o.snapshots.find((x) => x.name === 'snap');
  if (!s) return 'no-snap';
  return s.protected === false ? 'snap-unprotected' : 'ok';
}

/** Every (image, store) pair: the object and its protected @snap exist in the store's cluster. One listing per store. */
export async function checkRbdCopies(
  ctx: AnyCtx,
  inv: Inventory,
  pairs: { id: string; store: string }[],
): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  const stores = [...new Set(pairs.map((p) => p.store))];
  for (const store of stores) {
    const end = storeEnd(inv, store);
    if (!end) {
      lines.push(`${store}: file store (no RBD check)`);
      continue;
    }
    const listing = await listStore(ctx, end);
    for (const p of pairs.filter((x) => x.store === store)) {
      const st = rbdCopyState(listing, p.id);
      if (st !== 'ok') ok = false;
      lines.push(`${store} (${end.cluster}/${end.pool}/${p.id}@snap): ${st}`);
    }
  }
  return { ok, lines };
}

/**
 * What each target store holds of the pending copies (progress.ts): one probe per store. A store that cannot be
 * probed (file store without a known data_dir, probe failure) gives measurements with `error` set; never throws:
 * progress is for the operator, settling is done by Glance's properties.
 */
export async function measureCopies(
  ctx: AnyCtx,
  pairs: { id: string; store: string }[],
  dataDirs: Record<string, string>,
): Promise<StoreMeasurement[]> {
  const byStore = new Map<string, string[]>();
  for (const p of pairs) byStore.set(p.store, [...new Set([...(byStore.get(p.store) ?? []), p.id])]);
  const out: StoreMeasurement[] = [];
  for (const [store, ids] of byStore) {
    const fail = (error: string): void => {
      for (const id of ids)
        out.push({ id, store, exists: null, bytes: null, provisioned: null, snap: false, source: store, error });
    };
    try {
      const end = storeEnd(ctx.inventory, store);
      let spec: ProbeSpec;
      let host: string;
      if (end) {
        spec = { kind: 'rbd', cluster: end.cluster, pool: end.pool, target: end.target };
        host = end.host;
      } else {
        const dir = dataDirs[store];
        if (!dir) {
          fail('file store without a data_dir in Glance stores/detail');
          continue;
        }
        host = controllerOf(ctx.inventory, ctx.params.controller).host;
        spec = { kind: 'file', host, dataDir: dir };
      }
      const r = await ctx.run(host, copyProbeArgv(spec, ids), { purpose: 'poll', okExitCodes: [0, 1, 2] });
      if (r.exitCode !== 0) fail(`probe exit ${r.exitCode ?? 'none'}: ${r.stderr.slice(-300)}`);
      else out.push(...parseCopyProbe(r.stdout, store, spec, ids));
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}
