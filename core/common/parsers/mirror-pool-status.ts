/**
 * `rbd mirror pool status POOL [--verbose] --format json` and `rbd mirror image status --format json`.
 * Quirks handled (ceph-facts.md): `states` vs Squid's `image_states`; `mirror_uuids` a string; `callouts` only when
 * non-empty; `instance_id` may be ""; on the source of a one-way pool images carry no state/description/peers;
 * the description's embedded JSON differs by mode; absurd seconds_until_synced.
 */
import { z } from 'zod';
import { parseDescription, type ParsedDescription } from './description';
import { countMap, looseObj, looseStr, looseStrList, optBool, optStr, strList } from './loose';
import { parseJsonText, parseWith, snippetOf, type ParseResult } from './result';

export type Health = 'OK' | 'WARNING' | 'ERROR' | 'UNKNOWN';

export interface MirrorState {
  raw: string;
  /** `up` = an rbd-mirror daemon reports this image; null when the state has no up/down part. */
  up: boolean | null;
  /** replaying | stopped | unknown | error | syncing | starting_replay | stopping_replay | … */
  status: string;
}
export interface PeerSiteStatus {
  siteName: string;
  mirrorUuids: string[];
  state: MirrorState | null;
  description: string | null;
  parsed: ParsedDescription;
  lastUpdate: string | null;
}
export interface MirrorImageStatus {
  name: string;
  globalId: string | null;
  state: MirrorState | null;
  description: string | null;
  parsed: ParsedDescription;
  lastUpdate: string | null;
  daemonServiceId: string | null;
  peers: PeerSiteStatus[];
}
export interface MirrorDaemon {
  serviceId: string;
  instanceId: string | null;
  clientId: string | null;
  hostname: string | null;
  cephVersion: string | null;
  leader: boolean;
  health: Health;
  callouts: string[];
}
export interface MirrorPoolStatus {
  health: Health;
  daemonHealth: Health;
  imageHealth: Health;
  states: Record<string, number>;
  daemons: MirrorDaemon[];
  images: MirrorImageStatus[];
}

/** Shared with the pool reader's parser (rbd-pool-reader.ts): the same shapes from the same daemons. */
export const health = z
  .unknown()
  .optional()
  .transform((v): Health => (v === 'OK' || v === 'WARNING' || v === 'ERROR' ? v : 'UNKNOWN'));

export function parseMirrorState(raw: string | null): MirrorState | null {
  if (!raw) return null;
  const plus = raw.indexOf('+');
  if (plus < 0) return { raw, up: null, status: raw };
  const upPart = raw.slice(0, plus);
  return { raw, up: upPart === 'up' ? true : upPart === 'down' ? false : null, status: raw.slice(plus + 1) };
}

export const daemonSchema = z.object({
  service_id: optStr,
  instance_id: optStr,
  client_id: optStr,
  hostname: optStr,
  ceph_version: optStr,
  leader: optBool,
  health,
  callouts: strList,
});

/** One daemon entry (CLI `daemons[]` or the pool reader's trailer) as the model's MirrorDaemon. */
export function toMirrorDaemon(x: z.infer<typeof daemonSchema>): MirrorDaemon {
  return {
    serviceId: x.service_id ?? '',
    instanceId: x.instance_id === '' ? null : x.instance_id,
    clientId: x.client_id,
    hostname: x.hostname,
    cephVersion: x.ceph_version,
    leader: x.leader === true,
    health: x.health,
    callouts: x.callouts,
  };
}

const poolStatusSchema = z.object({
  summary: z
    .object({ health, daemon_health: health, image_health: health, states: countMap, image_states: countMap })
    .optional()
    .catch(undefined),
  daemons: z.array(daemonSchema).optional().catch(undefined),
  // Read by hand (readImage): at 20k images a zod pass per entry cost 5x JSON.parse in time and a whole extra
  // copy of the tree in memory. Tolerant like the zod schemas, but one odd entry no longer drops the others.
  images: z.array(z.unknown()).optional().catch(undefined),
});

/** One image status (a pool status' `images[]` entry, or `mirror image status`); null without a string name. */
function readImage(v: unknown): MirrorImageStatus | null {
  const i = looseObj(v);
  if (!i || typeof i['name'] !== 'string') return null;
  const description = looseStr(i['description']);
  const state = looseStr(i['state']);
  const peers: PeerSiteStatus[] = [];
  const rawPeers = i['peer_sites'];
  if (Array.isArray(rawPeers))
    for (const x of rawPeers) {
      const p = looseObj(x);
      if (!p) continue;
      const pd = looseStr(p['description']);
      peers.push({
        siteName: looseStr(p['site_name']) ?? '',
        mirrorUuids: looseStrList(p['mirror_uuids']),
        state: parseMirrorState(looseStr(p['state'])),
        description: pd,
        parsed: parseDescription(pd),
        lastUpdate: looseStr(p['last_update']),
      });
    }
  return {
    name: i['name'],
    globalId: looseStr(i['global_id']),
    state: parseMirrorState(state),
    description,
    parsed: parseDescription(description),
    lastUpdate: looseStr(i['last_update']),
    daemonServiceId: looseStr(looseObj(i['daemon_service'])?.['service_id']),
    peers,
  };
}

/** Parses `rbd mirror pool status [--verbose] --format json`. */
export function parseMirrorPoolStatus(stdout: string): ParseResult<MirrorPoolStatus> {
  const r = parseWith(poolStatusSchema, stdout, 'rbd mirror pool status');
  if (!r.ok) return r;
  const d = r.value;
  const s = d.summary;
  // Squid renamed `states` to `image_states`; merge so either shape reads the same.
  const states = { ...(s?.states ?? {}), ...(s?.image_states ?? {}) };
  return {
    ok: true,
    value: {
      health: s?.health ?? 'UNKNOWN',
      daemonHealth: s?.daemon_health ?? 'UNKNOWN',
      imageHealth: s?.image_health ?? 'UNKNOWN',
      states,
      daemons: (d.daemons ?? []).map(toMirrorDaemon),
      images: readImages(d.images),
    },
  };
}

function readImages(raw: unknown[] | undefined): MirrorImageStatus[] {
  const out: MirrorImageStatus[] = [];
  for (const v of raw ?? []) {
    const img = readImage(v);
    if (img) out.push(img);
  }
  return out;
}

/** Parses `rbd mirror image status POOL/IMAGE --format json` (one image, same shape as a pool-status entry). */
export function parseMirrorImageStatus(stdout: string): ParseResult<MirrorImageStatus> {
  const what = 'rbd mirror image status';
  const j = parseJsonText(stdout, what);
  if (!j.ok) return j;
  const img = readImage(j.value);
  if (img) return { ok: true, value: img };
  const message = `${what}: not an image status (no string "name")`;
  return { ok: false, error: { kind: 'schema', what, message, snippet: snippetOf(stdout) } };
}
