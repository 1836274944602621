/**
 * Usage risk per site: what at a site depends on an image that is not in the site's own Glance store (a boot
 * that pulls the image across the WAN, or a full copy instead of a clone), and which clones in the site's pools
 * hang on a parent image there (they pin that copy: it cannot be deleted while they exist). A server or volume
 * belongs to the site whose cluster holds its disk (`<server>_disk`, `volume-<id>`), else to the site named by
 * its availability zone.
 */
import { roleOf } from '../topology/classify';
import type { ClusterObservation, TopologyModel } from '../topology/model';

export interface CrossSiteUse {
  kind: 'server' | 'volume';
  id: string;
  name: string | null;
  imageId: string;
  imageName: string | null;
  /** Stores that do hold the image (elsewhere). */
  imageStores: string[];
  /** How the site was decided. */
  siteFrom: 'rbd-disk' | 'availability-zone';
}

export interface CloneLink {
  cluster: string;
  pool: string;
  name: string;
  parentPool: string;
  parentImage: string;
  parentSnap: string;
  kind: 'server-disk' | 'volume' | 'image' | 'other';
  /** Glance store of the parent pool in this cluster, when the parent is a Glance image. */
  parentStore: string | null;
}

export interface SiteUsage {
  site: string;
  localStores: string[];
  crossSite: CrossSiteUse[];
  clones: CloneLink[];
  /** Servers/volumes at the site whose image is in a local store (for scale). */
  localUses: number;
}

const kindOf = (name: string): CloneLink['kind'] =>
  name.endsWith('_disk')
    ? 'server-disk'
    : name.startsWith('volume-')
      ? 'volume'
      : /^[0-9a-f-]{36}$/.test(name)
        ? 'image'
        : 'other';

/** Every RBD clone (image with a parent) in the observed pools. */
export function cloneLinks(model: TopologyModel, clusters: ClusterObservation[]): CloneLink[] {
  const out: CloneLink[] = [];
  for (const c of clusters)
    for (const p of c.pools)
      for (const i of p.listing ?? []) {
        if (!i.parent) continue;
        const store = model.glanceStores.find((s) => s.cluster === c.cluster && s.pool === i.parent?.pool);
        out.push({
          cluster: c.cluster,
          pool: p.pool,
          name: i.name,
          parentPool: i.parent.pool,
          parentImage: i.parent.image,
          parentSnap: i.parent.snapshot,
          kind: kindOf(i.name),
          parentStore: store?.id ?? null,
        });
      }
  return out;
}

/** Clones in the cluster of `store` whose parent is image `imageId` there: what a delete from that store breaks. */
export function dependentClones(
  model: TopologyModel,
  clusters: ClusterObservation[],
  store: string,
  imageId: string,
): CloneLink[] {
  const st = model.glanceStores.find((s) => s.id === store);
  if (!st?.cluster || !st.pool) return [];
  return cloneLinks(model, clusters).filter(
    (l) => l.cluster === st.cluster && l.parentPool === st.pool && l.parentImage === imageId,
  );
}

export function usageRisk(model: TopologyModel, clusters: ClusterObservation[]): SiteUsage[] {
  const os = model.openstack;
  const siteOfCluster = new Map(model.clusters.map((c) => [c.name, c.site]));
  const diskSite = new Map<string, string>();
  for (const c of clusters)
    for (const p of c.pools) {
      // rbd-mirror's non-primary replica of a disk is not where the server runs or the volume is used: skip it,
      // else every mirrored disk would count as a (cross-site) use at the DR site too.
      const replicas = new Set(
        (p.status?.images ?? []).filter((x) => roleOf(x.state, x.description) === 'non-primary').map((x) => x.name),
      );
      for (const i of p.listing ?? []) {
        if (replicas.has(i.name)) continue;
        const site = siteOfCluster.get(c.cluster) ?? c.site;
        if (i.name.endsWith('_disk')) diskSite.set(`server:${i.name.slice(0, -5)}`, site);
        else if (i.name.startsWith('volume-')) diskSite.set(`volume:${i.name.slice(7)}`, site);
      }
    }
  const siteNames = new Set(model.sites.map((s) => s.name));
  const images = new Map((os?.images ?? []).map((g) => [g.id, g]));
  const links = cloneLinks(model, clusters);
  const bySite = new Map<string, SiteUsage>();
  for (const s of model.sites) {
    bySite.set(s.name, {
      site: s.name,
      localStores: model.glanceStores.filter((g) => g.site === s.name).map((g) => g.id),
      crossSite: [],
      clones: links.filter((l) => siteOfCluster.get(l.cluster) === s.name),
      localUses: 0,
    });
  }
  const consider = (
    kind: 'server' | 'volume',
    id: string,
    name: string | null,
    imageId: string | null,
    az: string | null,
  ): void => {
    if (!imageId) return;
    const fromDisk = diskSite.get(`${kind}:${id}`);
    const site = fromDisk ?? (az && siteNames.has(az) ? az : undefined);
    const u = site ? bySite.get(site) : undefined;
    if (!u) return;
    const g = images.get(imageId);
    const stores = g?.stores ?? [];
    if (u.localStores.some((s) => stores.includes(s))) {
      u.localUses++;
      return;
    }
    u.crossSite.push({
      kind,
      id,
      name,
      imageId,
      imageName: g?.name ?? null,
      imageStores: stores,
      siteFrom: fromDisk ? 'rbd-disk' : 'availability-zone',
    });
  };
  for (const s of os?.servers ?? []) consider('server', s.id, s.name, s.imageId, s.availabilityZone);
  for (const v of os?.volumes ?? []) consider('volume', v.id, v.name, v.imageId, v.availabilityZone);
  return [...bySite.values()];
}
