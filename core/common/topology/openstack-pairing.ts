/**
 * Pairing RBD images with OpenStack objects by the names the drivers give them: Glance's RBD store names the image
 * after the Glance id (in a store's pool; locations rbd://fsid/pool/id/snap), Cinder names it `volume-<id>`, Nova
 * `<server id>_disk` (plus `_disk.local`, `_disk.swap`, `_disk.config`). A name that says "I belong to X" with no X
 * in the lists is an orphan — but only when that list was actually fetched.
 */
import type { CinderVolume, GlanceImage, NovaServer } from '../parsers/openstack';
import type { OpenstackRef } from './model';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const GLANCE_RE = new RegExp(`^(${UUID})$`, 'i');
const VOLUME_RE = new RegExp(`^volume-(${UUID})$`, 'i');
const DISK_RE = new RegExp(`^(${UUID})_disk(?:\\.[a-z]+)?$`, 'i');

export interface PairingIndex {
  glance: Map<string, GlanceImage> | null;
  volumes: Map<string, CinderVolume> | null;
  servers: Map<string, NovaServer> | null;
  /** `cluster/pool` keys that hold a Glance store (inventory). */
  glancePools: Set<string>;
  /** Pool names that hold a Glance store anywhere (a mirrored copy keeps the pool name). */
  glancePoolNames: Set<string>;
}

export function pairingIndex(
  inv: { images: GlanceImage[]; volumes: CinderVolume[]; servers: NovaServer[]; errors: Record<string, string> } | null,
  glancePools: { cluster: string; pool: string }[],
): PairingIndex {
  const fetched = (part: string): boolean =>
    inv !== null && !inv.errors[part] && !inv.errors['auth'] && !inv.errors['config'];
  return {
    glance: fetched('images') && inv ? new Map(inv.images.map((i) => [i.id, i])) : null,
    volumes: fetched('volumes') && inv ? new Map(inv.volumes.map((v) => [v.id, v])) : null,
    servers: fetched('servers') && inv ? new Map(inv.servers.map((s) => [s.id, s])) : null,
    glancePools: new Set(glancePools.map((g) => `${g.cluster}/${g.pool}`)),
    glancePoolNames: new Set(glancePools.map((g) => g.pool)),
  };
}

const NONE: OpenstackRef = { kind: 'none', expected: null, id: null, name: null, status: null, verified: false };

export function pairImage(name: string, pool: string, clusters: string[], idx: PairingIndex): OpenstackRef {
  const vol = VOLUME_RE.exec(name);
  if (vol?.[1])
    return lookup('cinder-volume', vol[1].toLowerCase(), idx.volumes, (v) => ({ name: v.name, status: v.status }));
  const disk = DISK_RE.exec(name);
  if (disk?.[1])
    return lookup('nova-disk', disk[1].toLowerCase(), idx.servers, (s) => ({ name: s.name, status: s.status }));
  const g = GLANCE_RE.exec(name);
  if (g?.[1]) {
    const id = g[1].toLowerCase();
    const inGlancePool = clusters.some((c) => idx.glancePools.has(`${c}/${pool}`)) || idx.glancePoolNames.has(pool);
    const known = idx.glance?.get(id);
    if (known)
      return { kind: 'glance-image', expected: null, id, name: known.name, status: known.status, verified: true };
    if (inGlancePool) return lookup('glance-image', id, idx.glance, (i) => ({ name: i.name, status: i.status }));
  }
  return NONE;
}

function lookup<T>(
  kind: 'glance-image' | 'cinder-volume' | 'nova-disk',
  id: string,
  map: Map<string, T> | null,
  describe: (t: T) => { name: string | null; status: string | null },
): OpenstackRef {
  if (!map) return { kind, expected: null, id, name: null, status: null, verified: false };
  const t = map.get(id);
  if (!t) return { kind: 'orphan', expected: kind, id, name: null, status: null, verified: true };
  return { kind, expected: null, id, ...describe(t), verified: true };
}
