/**
 * Scope discovery shared by the DR wizards: which RBD images a failover moves, their mirror mode, who switches them
 * (the wizard, or Cinder's driver for replicated volumes), and which parts of the workload are not protected.
 */
import type { OpenstackInventory } from '../../../parsers/openstack';
import { StepFailedError } from '../../errors';
import type { StepContext } from '../../types';
import { cloudState, pool, poolStatus, rbdInfoIfExists } from './observe';
import { specOf, type ClusterEnd, type DrFacts, type DrImage, type SwitchParams } from './params';

type C = StepContext<SwitchParams>;
const discoverOpts = { purpose: 'discover' as const };
const REPLICATED = new Set(['enabled', 'failed-over', 'failing-over', 'failover-error']);

interface Candidate {
  pool: string;
  name: string;
  /** Why it is in scope (server/volume/image id). */
  why: string;
  /** A missing image is only a problem for some candidates (a boot-from-volume server has no Nova disk). */
  required: boolean;
}

function workloadCandidates(
  p: SwitchParams,
  cloud: OpenstackInventory | undefined,
): { list: Candidate[]; unprotected: string[] } {
  const list: Candidate[] = [];
  const unprotected: string[] = [];
  if (p.scope.servers.length === 0) return { list, unprotected };
  if (!cloud || !p.openstack)
    throw new StepFailedError('scope names servers but no OpenStack controller is in the parameters');
  const o = p.openstack;
  for (const id of p.scope.servers) {
    const s = cloud.servers.find((x) => x.id === id);
    if (!s) throw new StepFailedError(`server ${id} not found in Nova`);
    const vols = cloud.volumes.filter((v) => v.attachedServerIds.includes(id) || s.volumeIds.includes(v.id));
    for (const v of vols) {
      if (!o.cinder) {
        unprotected.push(`server ${id}: volume ${v.id} (no Cinder backend in the parameters)`);
        continue;
      }
      if (!REPLICATED.has(v.replicationStatus ?? ''))
        unprotected.push(
          `server ${id}: volume ${v.id} type ${v.type ?? '?'} is not replicated (replication_status ${v.replicationStatus ?? 'none'})`,
        );
      else
        list.push({
          pool: o.cinder.pool,
          name: `volume-${v.id}`,
          why: `volume ${v.id} of server ${id}`,
          required: true,
        });
      if (v.imageId)
        list.push({ pool: o.pools.images, name: v.imageId, why: `Glance image of volume ${v.id}`, required: false });
    }
    list.push({ pool: o.pools.vms, name: `${id}_disk`, why: `Nova disk of server ${id}`, required: false });
    if (s.imageId)
      list.push({ pool: o.pools.images, name: s.imageId, why: `Glance image of server ${id}`, required: false });
  }
  return { list, unprotected };
}

/**
 * Lists the images in scope as seen on `side` (the current primary, or the survivor when the primary is lost) and
 * records them with their mode and owner. Pool scope: every image `mirror pool status` lists in those pools.
 */
export async function discoverScope(ctx: C, side: ClusterEnd): Promise<DrFacts> {
  const p = ctx.params;
  const cloud = p.openstack ? await cloudState(ctx, discoverOpts) : undefined;
  const cands: Candidate[] = [];
  for (const poolName of p.scope.pools) {
    const st = await poolStatus(ctx, side, poolName, discoverOpts);
    for (const i of st.images) cands.push({ pool: poolName, name: i.name, why: `pool ${poolName}`, required: true });
  }
  const wl = workloadCandidates(p, cloud);
  cands.push(...wl.list, ...p.scope.images.map((i) => ({ ...i, why: 'named in the scope', required: true })));
  const seen = new Set<string>();
  const unique = cands.filter((c) => (seen.has(specOf(c)) ? false : (seen.add(specOf(c)), true)));
  const infos = await pool(unique, 4, (c) => rbdInfoIfExists(ctx, side, c, discoverOpts));
  const images: DrImage[] = [];
  const unprotected = [...wl.unprotected];
  const replicatedVolumes = new Set(
    (cloud?.volumes ?? []).filter((v) => REPLICATED.has(v.replicationStatus ?? '')).map((v) => `volume-${v.id}`),
  );
  unique.forEach((c, k) => {
    const inf = infos[k];
    const m = inf?.mirroring;
    if (!inf || !m || (m.mode !== 'journal' && m.mode !== 'snapshot') || m.state !== 'enabled') {
      if (c.required || inf)
        unprotected.push(`${specOf(c)} (${c.why}): ${inf ? 'not mirrored' : `missing on ${side.cluster}`}`);
      return;
    }
    const cinderPool = p.openstack?.cinder?.pool;
    const owner = cinderPool === c.pool && replicatedVolumes.has(c.name) ? 'cinder' : 'wizard';
    images.push({ pool: c.pool, name: c.name, mode: m.mode, globalId: m.globalId, owner, openstack: c.why });
  });
  const cinderPools = new Set(images.filter((i) => i.owner === 'cinder').map((i) => i.pool));
  const poolLevel = p.scope.pools.filter((x) => !cinderPools.has(x));
  const servers = (cloud?.servers ?? [])
    .filter((s) => p.scope.servers.includes(s.id))
    .map((s) => ({ id: s.id, name: s.name, status: s.status }));
  return { images, poolLevel, servers, unprotected };
}

export function scopeEvidence(f: DrFacts): string {
  const imgs = f.images ?? [];
  const by = (o: DrImage['owner']): number => imgs.filter((i) => i.owner === o).length;
  return `${imgs.length} images in scope (${imgs.filter((i) => i.mode === 'journal').length} journal, ${imgs.filter((i) => i.mode === 'snapshot').length} snapshot; ${by('wizard')} switched here, ${by('cinder')} by Cinder), pool-level: ${(f.poolLevel ?? []).join(', ') || 'none'}, ${(f.servers ?? []).length} servers${f.unprotected?.length ? `; NOT protected: ${f.unprotected.join('; ')}` : ''}`;
}
