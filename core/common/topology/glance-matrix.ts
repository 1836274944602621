/**
 * Glance image × store matrix: for each image and store, what Glance says (listed, importing, failed) and what
 * the RBD pool behind the store holds (the data is really there, missing, or unknown because the pool was not
 * observed).
 */
import type { TopologyModel } from './model';

export type RbdPresence = 'present' | 'missing' | 'unknown' | 'not-rbd';
export interface StoreCell {
  listed: boolean;
  importing: boolean;
  failed: boolean;
  rbd: RbdPresence;
}
export interface GlanceMatrixRow {
  imageId: string;
  name: string | null;
  status: string | null;
  storesUnknown: boolean;
  cells: Record<string, StoreCell>;
  /** Servers + volumes built from this image. */
  users: number;
}
export interface GlanceMatrix {
  stores: { id: string; site: string | null; cluster: string | null; pool: string | null; type: string | null }[];
  rows: GlanceMatrixRow[];
}

export function glanceMatrix(m: TopologyModel): GlanceMatrix {
  const stores = m.glanceStores.map((s) => ({
    id: s.id,
    site: s.site,
    cluster: s.cluster,
    pool: s.pool,
    type: s.type,
  }));
  const os = m.openstack;
  if (!os) return { stores, rows: [] };
  const present = new Set<string>();
  for (const i of m.images)
    for (const s of i.sides) if (s.source === 'local' && s.present) present.add(`${s.cluster}/${s.pool}/${i.name}`);
  const observed = new Set(m.pools.filter((p) => p.verbose && p.imageCount !== null).map((p) => p.key));
  const users = new Map<string, number>();
  for (const s of os.servers) if (s.imageId) users.set(s.imageId, (users.get(s.imageId) ?? 0) + 1);
  for (const v of os.volumes) if (v.imageId) users.set(v.imageId, (users.get(v.imageId) ?? 0) + 1);
  const rows = os.images.map((g) => {
    const cells: Record<string, StoreCell> = {};
    for (const st of stores) {
      let rbd: RbdPresence = 'not-rbd';
      if (st.cluster && st.pool) {
        const key = `${st.cluster}/${st.pool}`;
        rbd = !observed.has(key) ? 'unknown' : present.has(`${key}/${g.id}`) ? 'present' : 'missing';
      }
      cells[st.id] = {
        listed: g.stores.includes(st.id),
        importing: g.importingToStores.includes(st.id),
        failed: g.failedImportStores.includes(st.id),
        rbd,
      };
    }
    return {
      imageId: g.id,
      name: g.name,
      status: g.status,
      storesUnknown: g.storesUnknown,
      cells,
      users: users.get(g.id) ?? 0,
    };
  });
  return { stores, rows };
}
