/** Parsers for `rbd mirror pool info --all`, `rbd ls -l` and `rbd info` (all `--format json`). */
import { z } from 'zod';
import { optBool, optNum, optStr, strList } from './loose';
import { parseWith, type ParseResult } from './result';

export type PoolMirrorMode = 'disabled' | 'image' | 'pool' | 'unknown';
export type PeerDirection = 'rx-tx' | 'rx-only' | 'tx-only' | 'unknown';

export interface MirrorPeer {
  uuid: string;
  direction: PeerDirection;
  siteName: string;
  mirrorUuid: string | null;
  clientName: string | null;
}
export interface MirrorPoolInfo {
  mode: PoolMirrorMode;
  siteName: string | null;
  peers: MirrorPeer[];
}

const peerSchema = z.object({
  uuid: optStr,
  direction: optStr,
  site_name: optStr,
  mirror_uuid: optStr,
  client_name: optStr,
});
const poolInfoSchema = z.object({
  mode: optStr,
  site_name: optStr,
  peers: z.array(peerSchema).optional().catch(undefined),
});

function mode(v: string | null): PoolMirrorMode {
  return v === 'disabled' || v === 'image' || v === 'pool' ? v : 'unknown';
}
function direction(v: string | null): PeerDirection {
  return v === 'rx-tx' || v === 'rx-only' || v === 'tx-only' ? v : 'unknown';
}

/** `rbd mirror pool info POOL --all --format json`; a disabled pool prints only `{mode}`. */
export function parseMirrorPoolInfo(stdout: string): ParseResult<MirrorPoolInfo> {
  const r = parseWith(poolInfoSchema, stdout, 'rbd mirror pool info');
  if (!r.ok) return r;
  return {
    ok: true,
    value: {
      mode: mode(r.value.mode),
      siteName: r.value.site_name,
      peers: (r.value.peers ?? []).map((p) => ({
        uuid: p.uuid ?? '',
        direction: direction(p.direction),
        siteName: p.site_name ?? '',
        mirrorUuid: p.mirror_uuid,
        clientName: p.client_name === '' ? null : p.client_name,
      })),
    },
  };
}

export interface ParentSpec {
  pool: string;
  namespace: string | null;
  image: string;
  snapshot: string;
}
export interface RbdListedImage {
  name: string;
  id: string | null;
  size: number | null;
  format: number | null;
  lockType: string | null;
  parent: ParentSpec | null;
  /** Snapshots listed by `rbd ls -l` as extra rows (`snapshot` set). */
  snapshots: { name: string; id: number | null; protected: boolean | null }[];
}

const parentSchema = z
  .object({ pool: z.string(), pool_namespace: optStr, image: z.string(), snapshot: optStr })
  .optional()
  .catch(undefined);
const lsRowSchema = z.object({
  image: z.string(),
  id: optStr,
  size: optNum,
  format: optNum,
  lock_type: optStr,
  snapshot: optStr,
  snapshot_id: optNum,
  protected: optBool,
  parent: parentSchema,
});
const lsSchema = z.array(z.unknown());

/**
 * `rbd ls -l POOL --format json`: one row per image and one more per snapshot. Rows that do not match are
 * skipped and counted (unknown future row kinds must not hide the rest of the pool).
 */
export function parseRbdLsLong(stdout: string): ParseResult<{ images: RbdListedImage[]; skippedRows: number }> {
  const r = parseWith(lsSchema, stdout, 'rbd ls -l');
  if (!r.ok) return r;
  const byName = new Map<string, RbdListedImage>();
  let skippedRows = 0;
  for (const raw of r.value) {
    const row = lsRowSchema.safeParse(raw);
    if (!row.success) {
      skippedRows++;
      continue;
    }
    const x = row.data;
    let img = byName.get(x.image);
    if (!img) {
      img = { name: x.image, id: x.id, size: null, format: x.format, lockType: null, parent: null, snapshots: [] };
      byName.set(x.image, img);
    }
    if (x.snapshot !== null) {
      img.snapshots.push({ name: x.snapshot, id: x.snapshot_id, protected: x.protected });
    } else {
      img.size = x.size;
      img.lockType = x.lock_type;
      if (x.parent)
        img.parent = {
          pool: x.parent.pool,
          namespace: x.parent.pool_namespace || null,
          image: x.parent.image,
          snapshot: x.parent.snapshot ?? '',
        };
    }
  }
  return { ok: true, value: { images: [...byName.values()], skippedRows } };
}

export interface RbdImageInfo {
  name: string;
  id: string | null;
  size: number | null;
  features: string[];
  opFeatures: string[];
  flags: string[];
  createTimestamp: string | null;
  modifyTimestamp: string | null;
  parent: ParentSpec | null;
  mirroring: {
    mode: 'journal' | 'snapshot' | 'unknown';
    state: string | null;
    globalId: string | null;
    primary: boolean | null;
  } | null;
}

const infoSchema = z.object({
  name: z.string(),
  id: optStr,
  size: optNum,
  features: strList,
  op_features: strList,
  flags: strList,
  create_timestamp: optStr,
  modify_timestamp: optStr,
  parent: parentSchema,
  mirroring: z.object({ mode: optStr, state: optStr, global_id: optStr, primary: optBool }).optional().catch(undefined),
});

/** `rbd info POOL/IMAGE --format json`: the authoritative primary flag and the features (journaling). */
export function parseRbdInfo(stdout: string): ParseResult<RbdImageInfo> {
  const r = parseWith(infoSchema, stdout, 'rbd info');
  if (!r.ok) return r;
  const x = r.value;
  const m = x.mirroring;
  return {
    ok: true,
    value: {
      name: x.name,
      id: x.id,
      size: x.size,
      features: x.features,
      opFeatures: x.op_features,
      flags: x.flags,
      createTimestamp: x.create_timestamp,
      modifyTimestamp: x.modify_timestamp,
      parent: x.parent
        ? {
            pool: x.parent.pool,
            namespace: x.parent.pool_namespace || null,
            image: x.parent.image,
            snapshot: x.parent.snapshot ?? '',
          }
        : null,
      mirroring: m
        ? {
            mode: m.mode === 'journal' || m.mode === 'snapshot' ? m.mode : 'unknown',
            state: m.state,
            globalId: m.global_id,
            primary: m.primary,
          }
        : null,
    },
  };
}

export interface RbdSnapshot {
  id: number | null;
  name: string;
  size: number | null;
  timestamp: string | null;
  /** `user`, `mirror`, `trash`, `group`… */
  namespaceType: string | null;
  /** Mirror snapshots: primary | non-primary | demoted | primary-demoted… */
  mirrorState: string | null;
  complete: boolean | null;
}
const snapSchema = z.object({
  id: optNum,
  name: z.string(),
  size: optNum,
  timestamp: optStr,
  namespace: z.object({ type: optStr, state: optStr, complete: optBool }).optional().catch(undefined),
});

/** `rbd snap ls --all POOL/IMAGE --format json`. */
export function parseRbdSnapLs(stdout: string): ParseResult<RbdSnapshot[]> {
  const r = parseWith(z.array(z.unknown()), stdout, 'rbd snap ls');
  if (!r.ok) return r;
  const out: RbdSnapshot[] = [];
  for (const raw of r.value) {
    const s = snapSchema.safeParse(raw);
    if (!s.success) continue;
    const x = s.data;
    out.push({
      id: x.id,
      name: x.name,
      size: x.size,
      timestamp: x.timestamp,
      namespaceType: x.namespace?.type ?? null,
      mirrorState: x.namespace?.state ?? null,
      complete: x.namespace?.complete ?? null,
    });
  }
  return { ok: true, value: out };
}
