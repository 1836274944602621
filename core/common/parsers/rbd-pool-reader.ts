/**
 * The pool reader's document (core/common/commands/rbd-pool-reader.ts): one pool's listing and mirror status in
 * the compact form `{"v":1, images:[[name, id, size, parent|null, [snap names]]], mirror:[[name, global_id, state,
 * description, last_update, daemon service id, [[site_name, mirror_uuid, state, description, last_update]]]],
 * summary, daemons}`. Produces exactly what parseRbdLsLong + parseMirrorPoolStatus give for the CLI calls, so the
 * model cannot tell the paths apart (except by the method recorded per pool).
 *
 * The envelope goes through zod (tolerant: unknown keys ignored, odd fields nulled); the per-image rows are read
 * by hand, like the CLI's images[], because a zod pass per row at 20k rows costs more than JSON.parse and copies
 * every array. An unknown version is an error, so discovery falls back to the CLI.
 */
import { z } from 'zod';
import { parseDescription } from './description';
import { countMap, looseStr, optBool, optStr, strList } from './loose';
import { parseMirrorState, type Health, type MirrorImageStatus, type MirrorPoolStatus } from './mirror-pool-status';
import type { PoolMirrorMode, RbdListedImage } from './rbd';
import { parseWith, snippetOf, type ParseResult } from './result';

export interface PoolReaderResult {
  pool: string | null;
  mirrorMode: PoolMirrorMode;
  /** null when mirroring is disabled (the CLI's `mirror pool status` refuses such a pool). */
  status: MirrorPoolStatus | null;
  listing: RbdListedImage[];
  /** Images the reader had to open with librbd (clones, format 1): the rest came from list calls and headers. */
  opened: number;
  skippedRows: number;
}

const health = z
  .unknown()
  .optional()
  .transform((v): Health => (v === 'OK' || v === 'WARNING' || v === 'ERROR' ? v : 'UNKNOWN'));
const daemonSchema = z.object({
  service_id: optStr,
  instance_id: optStr,
  client_id: optStr,
  hostname: optStr,
  ceph_version: optStr,
  leader: optBool,
  health,
  callouts: strList,
});
const docSchema = z.object({
  v: z.literal(1),
  pool: optStr,
  mirror_mode: optStr,
  opened: z.number().optional().catch(undefined),
  images: z.array(z.unknown()),
  mirror: z.array(z.unknown()).optional().catch(undefined),
  summary: z
    .object({ health, daemon_health: health, image_health: health, states: countMap })
    .optional()
    .catch(undefined),
  daemons: z.array(daemonSchema).optional().catch(undefined),
});

const str = (v: unknown): string | null => looseStr(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function readImageRow(v: unknown): RbdListedImage | null {
  if (!Array.isArray(v) || typeof v[0] !== 'string') return null;
  const [name, id, size, parent, snaps] = v as unknown[];
  const p = Array.isArray(parent) ? (parent as unknown[]) : null;
  return {
    name: name as string,
    id: str(id),
    size: num(size),
    format: 2,
    lockType: null,
    parent:
      p && typeof p[0] === 'string' && typeof p[2] === 'string'
        ? { pool: p[0], namespace: str(p[1]) || null, image: p[2], snapshot: str(p[3]) ?? '' }
        : null,
    snapshots: Array.isArray(snaps)
      ? snaps.filter((s): s is string => typeof s === 'string').map((s) => ({ name: s, id: null, protected: null }))
      : [],
  };
}

function readStatusRow(v: unknown): MirrorImageStatus | null {
  if (!Array.isArray(v) || typeof v[0] !== 'string') return null;
  const [name, gid, state, description, lastUpdate, service, sites] = v as unknown[];
  const d = str(description);
  const peers: MirrorImageStatus['peers'] = [];
  if (Array.isArray(sites))
    for (const s of sites as unknown[]) {
      if (!Array.isArray(s)) continue;
      const [site, uuid, st, desc, last] = s as unknown[];
      const pd = str(desc);
      const u = str(uuid);
      peers.push({
        siteName: str(site) ?? '',
        mirrorUuids: u ? [u] : [],
        state: parseMirrorState(str(st)),
        description: pd,
        parsed: parseDescription(pd),
        lastUpdate: str(last),
      });
    }
  return {
    name: name as string,
    globalId: str(gid),
    state: parseMirrorState(str(state)),
    description: d,
    parsed: parseDescription(d),
    lastUpdate: str(lastUpdate),
    daemonServiceId: str(service),
    peers,
  };
}

function mode(v: string | null): PoolMirrorMode {
  return v === 'disabled' || v === 'image' || v === 'pool' ? v : 'unknown';
}

/** Parses the pool reader's stdout. */
export function parsePoolReader(stdout: string): ParseResult<PoolReaderResult> {
  const r = parseWith(docSchema, stdout, 'rbd pool reader');
  if (!r.ok) return r;
  const d = r.value;
  let skippedRows = 0;
  const listing: RbdListedImage[] = [];
  for (const row of d.images) {
    const img = readImageRow(row);
    if (img) listing.push(img);
    else skippedRows++;
  }
  const m = mode(d.mirror_mode);
  let status: MirrorPoolStatus | null = null;
  if (m !== 'disabled') {
    if (!d.summary || !d.mirror) {
      const message = 'rbd pool reader: mirroring enabled but no summary or mirror rows';
      return {
        ok: false,
        error: { kind: 'schema', what: 'rbd pool reader', message, snippet: snippetOf(stdout) },
      };
    }
    const images: MirrorImageStatus[] = [];
    for (const row of d.mirror) {
      const st = readStatusRow(row);
      if (st) images.push(st);
      else skippedRows++;
    }
    status = {
      health: d.summary.health,
      daemonHealth: d.summary.daemon_health,
      imageHealth: d.summary.image_health,
      states: d.summary.states,
      daemons: (d.daemons ?? []).map((x) => ({
        serviceId: x.service_id ?? '',
        instanceId: x.instance_id === '' ? null : x.instance_id,
        clientId: x.client_id,
        hostname: x.hostname,
        cephVersion: x.ceph_version,
        leader: x.leader === true,
        health: x.health,
        callouts: x.callouts,
      })),
      images,
    };
  }
  return {
    ok: true,
    value: { pool: d.pool, mirrorMode: m, status, listing, opened: d.opened ?? 0, skippedRows },
  };
}
