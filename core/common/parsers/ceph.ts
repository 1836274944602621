/** Parsers for `ceph status`, `ceph osd pool ls detail` and `ceph df` (all `--format json`). */
import { z } from 'zod';
import { optNum, optStr, strList } from './loose';
import { parseWith, type ParseResult } from './result';

export interface CephStatus {
  fsid: string;
  health: string;
  /** Health check codes with their summary message. */
  checks: { code: string; severity: string | null; message: string | null }[];
  quorumNames: string[];
  numMons: number | null;
  release: string | null;
  osds: { total: number | null; up: number | null; in: number | null };
  pgs: { total: number | null; bytesUsed: number | null; bytesTotal: number | null; bytesAvail: number | null };
  /** rbd-mirror daemons registered in the service map (gid → hostname/version). */
  rbdMirrorDaemons: { gid: string; hostname: string | null; version: string | null; id: string | null }[];
}

const statusSchema = z.object({
  fsid: z.string(),
  health: z
    .object({ status: optStr, checks: z.record(z.string(), z.unknown()).optional().catch(undefined) })
    .optional()
    .catch(undefined),
  quorum_names: strList,
  monmap: z.object({ num_mons: optNum, min_mon_release_name: optStr }).optional().catch(undefined),
  osdmap: z.object({ num_osds: optNum, num_up_osds: optNum, num_in_osds: optNum }).optional().catch(undefined),
  pgmap: z
    .object({ num_pgs: optNum, bytes_used: optNum, bytes_total: optNum, bytes_avail: optNum })
    .optional()
    .catch(undefined),
  servicemap: z
    .object({
      services: z
        .record(z.string(), z.object({ daemons: z.record(z.string(), z.unknown()).optional().catch(undefined) }))
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
});

function checkOf(code: string, v: unknown): CephStatus['checks'][number] {
  const o = v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  const summary = o['summary'] && typeof o['summary'] === 'object' ? (o['summary'] as Record<string, unknown>) : {};
  return {
    code,
    severity: typeof o['severity'] === 'string' ? o['severity'] : null,
    message: typeof summary['message'] === 'string' ? summary['message'] : null,
  };
}

export function parseCephStatus(stdout: string): ParseResult<CephStatus> {
  const r = parseWith(statusSchema, stdout, 'ceph status');
  if (!r.ok) return r;
  const x = r.value;
  const daemons = x.servicemap?.services?.['rbd-mirror']?.daemons ?? {};
  const rbdMirrorDaemons: CephStatus['rbdMirrorDaemons'] = [];
  for (const [gid, d] of Object.entries(daemons)) {
    if (gid === 'summary' || !d || typeof d !== 'object') continue;
    const meta = (d as Record<string, unknown>)['metadata'];
    const m = meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
    rbdMirrorDaemons.push({
      gid,
      hostname: typeof m['hostname'] === 'string' ? m['hostname'] : null,
      version: typeof m['ceph_version_short'] === 'string' ? m['ceph_version_short'] : null,
      id: typeof m['id'] === 'string' ? m['id'] : null,
    });
  }
  return {
    ok: true,
    value: {
      fsid: x.fsid,
      health: x.health?.status ?? 'UNKNOWN',
      checks: Object.entries(x.health?.checks ?? {}).map(([k, v]) => checkOf(k, v)),
      quorumNames: x.quorum_names,
      numMons: x.monmap?.num_mons ?? null,
      release: x.monmap?.min_mon_release_name ?? null,
      osds: { total: x.osdmap?.num_osds ?? null, up: x.osdmap?.num_up_osds ?? null, in: x.osdmap?.num_in_osds ?? null },
      pgs: {
        total: x.pgmap?.num_pgs ?? null,
        bytesUsed: x.pgmap?.bytes_used ?? null,
        bytesTotal: x.pgmap?.bytes_total ?? null,
        bytesAvail: x.pgmap?.bytes_avail ?? null,
      },
      rbdMirrorDaemons,
    },
  };
}

export interface OsdPool {
  id: number | null;
  name: string;
  size: number | null;
  minSize: number | null;
  pgNum: number | null;
  applications: string[];
}
const poolSchema = z.object({
  pool_id: optNum,
  pool_name: z.string(),
  size: optNum,
  min_size: optNum,
  pg_num: optNum,
  application_metadata: z.record(z.string(), z.unknown()).optional().catch(undefined),
});

/** `ceph osd pool ls detail --format json`. */
export function parseOsdPoolLsDetail(stdout: string): ParseResult<OsdPool[]> {
  const r = parseWith(z.array(poolSchema), stdout, 'ceph osd pool ls detail');
  if (!r.ok) return r;
  return {
    ok: true,
    value: r.value.map((p) => ({
      id: p.pool_id,
      name: p.pool_name,
      size: p.size,
      minSize: p.min_size,
      pgNum: p.pg_num,
      applications: Object.keys(p.application_metadata ?? {}),
    })),
  };
}

export interface CephDf {
  totalBytes: number | null;
  availBytes: number | null;
  usedBytes: number | null;
  pools: {
    name: string;
    stored: number | null;
    objects: number | null;
    percentUsed: number | null;
    maxAvail: number | null;
  }[];
}
const dfSchema = z.object({
  stats: z
    .object({ total_bytes: optNum, total_avail_bytes: optNum, total_used_raw_bytes: optNum })
    .optional()
    .catch(undefined),
  pools: z
    .array(
      z.object({
        name: z.string(),
        stats: z
          .object({ stored: optNum, objects: optNum, percent_used: optNum, max_avail: optNum })
          .optional()
          .catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
});

/** `ceph df --format json`. */
export function parseCephDf(stdout: string): ParseResult<CephDf> {
  const r = parseWith(dfSchema, stdout, 'ceph df');
  if (!r.ok) return r;
  const x = r.value;
  return {
    ok: true,
    value: {
      totalBytes: x.stats?.total_bytes ?? null,
      availBytes: x.stats?.total_avail_bytes ?? null,
      usedBytes: x.stats?.total_used_raw_bytes ?? null,
      pools: (x.pools ?? []).map((p) => ({
        name: p.name,
        stored: p.stats?.stored ?? null,
        objects: p.stats?.objects ?? null,
        percentUsed: p.stats?.percent_used ?? null,
        maxAvail: p.stats?.max_avail ?? null,
      })),
    },
  };
}
