/** OpenStack rules: orphans, Glance images missing where they are used, failed/stuck imports, lost store data. */
import { rbdInfo } from '../../commands/rbd';
import type { GlanceImage } from '../../parsers/openstack';
import type { ImageNode, TopologyModel } from '../model';
import { finding, onCluster, type Finding, type ResolvedOptions } from './finding';
import type { ImageRuleContext } from './image-rules';

export function orphanRule(img: ImageNode, ctx: ImageRuleContext): Finding[] {
  if (img.openstack.kind !== 'orphan') return [];
  const s =
    img.sides.find((x) => x.role === 'primary' && x.source === 'local') ??
    img.sides.find((x) => x.source === 'local') ??
    img.sides[0];
  const what =
    img.openstack.expected === 'cinder-volume'
      ? 'Cinder volume'
      : img.openstack.expected === 'nova-disk'
        ? 'Nova server'
        : 'Glance image';
  return [
    finding({
      subject: img.key,
      imageKey: img.key,
      severity: 'warning',
      rule: 'orphan-rbd-image',
      site: s?.site,
      cluster: s?.cluster,
      message: `${img.pool}/${img.name} looks like the disk of ${what} ${img.openstack.id ?? '?'}, which does not exist (left behind by a delete after failover/failback?). Check and remove it.`,
      evidence: {
        image: `${img.pool}/${img.name}`,
        expected: img.openstack.expected,
        id: img.openstack.id,
        sides: img.sides.map((x) => ({ cluster: x.cluster, state: x.state, description: x.description, role: x.role })),
      },
      suggestedCommand: s
        ? onCluster(ctx.clusters.get(s.cluster), (t) => rbdInfo(t, s.pool, img.name), 'the orphan image')
        : null,
    }),
  ];
}

function storesAtSite(m: TopologyModel, site: string): string[] {
  return m.glanceStores.filter((s) => s.site === site).map((s) => s.id);
}

/** Glance images that servers or volumes at a site depend on must have a copy in a store of that site. */
export function glancePlacementRule(m: TopologyModel): Finding[] {
  const os = m.openstack;
  if (!os || os.errors['images']) return [];
  const glance = new Map(os.images.map((i) => [i.id, i]));
  const servers = new Map(os.servers.map((s) => [s.id, s]));
  const volumes = new Map(os.volumes.map((v) => [v.id, v]));
  // image id → site → users
  const need = new Map<string, Map<string, string[]>>();
  const add = (imageId: string | null, site: string, user: string): void => {
    if (!imageId) return;
    let bySite = need.get(imageId);
    if (!bySite) need.set(imageId, (bySite = new Map()));
    const users = bySite.get(site) ?? [];
    users.push(user);
    bySite.set(site, users);
  };
  for (const img of m.images) {
    const site =
      img.sides.find((s) => s.role === 'primary')?.site ?? (img.sides.length === 1 ? img.sides[0]?.site : undefined);
    if (!site || !img.openstack.id) continue;
    if (img.openstack.kind === 'nova-disk')
      add(servers.get(img.openstack.id)?.imageId ?? null, site, `server ${img.openstack.id}`);
    if (img.openstack.kind === 'cinder-volume')
      add(volumes.get(img.openstack.id)?.imageId ?? null, site, `volume ${img.openstack.id}`);
  }
  const out: Finding[] = [];
  for (const [imageId, bySite] of need) {
    const g = glance.get(imageId);
    if (!g || g.storesUnknown) continue;
    for (const [site, users] of bySite) {
      const wanted = storesAtSite(m, site);
      if (wanted.length === 0 || wanted.some((s) => g.stores.includes(s))) continue;
      out.push(
        finding({
          subject: `${imageId}@${site}`,
          severity: 'warning',
          rule: 'glance-missing-at-site',
          site,
          message: `Glance image ${g.name ?? imageId} is used at ${site} by ${users.length} disk(s) but has no copy in ${site}'s store(s) ${wanted.join(', ')}: new servers there cannot clone it locally (copy-image it).`,
          evidence: {
            imageId,
            stores: g.stores,
            siteStores: wanted,
            users: users.slice(0, 20),
            userCount: users.length,
          },
          suggestedCommand: null,
        }),
      );
    }
  }
  return out;
}

export function glanceImportRules(m: TopologyModel, o: ResolvedOptions): Finding[] {
  const os = m.openstack;
  if (!os) return [];
  const out: Finding[] = [];
  for (const g of os.images) {
    if (g.failedImportStores.length > 0) {
      out.push(
        finding({
          subject: g.id,
          severity: 'error',
          rule: 'glance-import-failed',
          message: `Glance image ${g.name ?? g.id}: import/copy failed for store(s) ${g.failedImportStores.join(', ')} (the CLI's exit code does not say so).`,
          evidence: glanceEvidence(g),
          suggestedCommand: null,
        }),
      );
    }
    const updated = g.updatedAt ? Date.parse(g.updatedAt) : NaN;
    const old = Number.isFinite(updated) && o.now - updated > o.importStuckSec * 1000;
    const busyStatus =
      g.status === 'importing' || g.status === 'uploading' || g.status === 'queued' || g.status === 'saving';
    if (old && (g.importingToStores.length > 0 || busyStatus)) {
      out.push(
        finding({
          subject: g.id,
          severity: 'warning',
          rule: 'glance-import-stuck',
          message: `Glance image ${g.name ?? g.id} has been ${g.importingToStores.length ? `copying to ${g.importingToStores.join(', ')}` : `in status ${g.status}`} since ${g.updatedAt}.`,
          evidence: glanceEvidence(g),
          suggestedCommand: null,
        }),
      );
    }
  }
  return out;
}

/** A store Glance lists for an image whose RBD data is not in that store's pool ("Image not found in any configured store"). */
export function glanceStoreDataRule(m: TopologyModel, ctx: ImageRuleContext): Finding[] {
  const os = m.openstack;
  if (!os || os.errors['images']) return [];
  const out: Finding[] = [];
  for (const g of os.images) {
    if (g.status !== 'active') continue;
    for (const storeId of g.stores) {
      const st = m.glanceStores.find((s) => s.id === storeId);
      if (!st?.cluster || !st.pool) continue;
      const pool = ctx.pools.get(`${st.cluster}/${st.pool}`);
      if (!pool?.verbose || pool.imageCount === null) continue;
      if (ctx.sides.get(`${st.cluster}/${st.pool}/${g.id}`)?.present) continue;
      out.push(
        finding({
          subject: `${g.id}@${storeId}`,
          severity: 'error',
          rule: 'glance-store-data-missing',
          site: st.site ?? undefined,
          cluster: st.cluster,
          message: `Glance lists image ${g.name ?? g.id} in store ${storeId}, but ${st.cluster}/${st.pool} has no RBD image ${g.id}.`,
          evidence: { ...glanceEvidence(g), store: st },
          suggestedCommand: onCluster(
            ctx.clusters.get(st.cluster),
            (t) => rbdInfo(t, st.pool ?? '', g.id),
            'look for the data',
          ),
        }),
      );
    }
  }
  return out;
}

function glanceEvidence(g: GlanceImage): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    status: g.status,
    stores: g.stores,
    os_glance_importing_to_stores: g.importingToStores,
    os_glance_failed_import: g.failedImportStores,
    updated_at: g.updatedAt,
    direct_url: g.directUrl,
  };
}

export function openstackReachRule(m: TopologyModel): Finding[] {
  const os = m.openstack;
  if (!os) return [];
  const errs = Object.entries(os.errors);
  if (os.reachable && errs.length === 0) return [];
  return [
    finding({
      subject: 'openstack',
      severity: 'warning',
      rule: 'openstack-unreachable',
      message: os.reachable
        ? `OpenStack answered partly: ${errs.map(([k, v]) => `${k}: ${v}`).join('; ')}. Pairing with those objects is by name only.`
        : `OpenStack controller ${os.hostId ?? '?'} unreachable: ${os.reason ?? 'unknown'}. RBD images are paired by name only, orphans cannot be told.`,
      evidence: { hostId: os.hostId, reason: os.reason, errors: os.errors, source: os.source },
      suggestedCommand: null,
    }),
  ];
}
