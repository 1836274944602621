/**
 * DR readiness: could the workload survive losing a site right now, and how much would it lose? Pure, from a
 * TopologyModel and the health findings already evaluated on it (the mirroring rules are reused, not re-derived):
 * images not mirrored, pool-mode images without journaling, clone parents not mirrored, effective RPO per image and
 * the worst per site, rbd-mirror daemons down, Cinder volumes not of a replicated type, Glance images missing at the
 * DR site, and servers whose disks are not all protected.
 */
import type { Finding, Severity } from './health/finding';
import type { ImageNode, TopologyModel } from './model';

export type DrRuleId =
  | 'dr-image-not-mirrored'
  | 'dr-volume-not-replicated'
  | 'dr-glance-missing-at-dr'
  | 'dr-server-unprotected'
  | 'dr-no-dr-site'
  | 'dr-rpo';

/** Health rules that matter for DR, taken over as they are. */
export const DR_HEALTH_RULES = new Set<string>([
  'pool-image-without-journaling',
  'clone-parent-not-mirrored',
  'daemon-missing',
  'daemon-unhealthy',
  'daemon-stale',
  'rpo-exceeded',
  'site-unreachable',
  'split-brain',
  'primary-both',
  'primary-none',
  'replay-stalled',
  'sync-stuck',
  'peer-missing',
  'peer-mode-mismatch',
]);

export interface DrFinding {
  id: string;
  severity: Severity;
  rule: DrRuleId | string;
  subject: string;
  message: string;
  evidence: Record<string, unknown>;
  site?: string;
}

export interface ImageRpo {
  key: string;
  image: string;
  /** Site whose copy is primary (where the data is written). */
  site: string | null;
  mode: ImageNode['mode'];
  /** Snapshot: now − last mirror snapshot copied; journal: seconds until synced when reported sanely. */
  seconds: number | null;
  entriesBehind: number | null;
  openstack: string | null;
}

export interface DrReadiness {
  generatedAt: number;
  drSites: string[];
  ready: boolean;
  counts: Record<Severity, number>;
  findings: DrFinding[];
  rpo: ImageRpo[];
  /** Per primary site: the worst image (what a failover away from it would lose). */
  worstBySite: Record<
    string,
    { seconds: number | null; entriesBehind: number | null; image: string | null; images: number }
  >;
  summary: {
    images: number;
    mirrored: number;
    volumes: number;
    replicatedVolumes: number;
    servers: number;
    protectedServers: number;
  };
}

const REPLICATED = new Set(['enabled', 'failed-over', 'failing-over']);
const TEST_COPY = /^swy-drtest-/;

function primarySite(i: ImageNode): string | null {
  return i.sides.find((s) => s.role === 'primary')?.site ?? (i.sides.length === 1 ? (i.sides[0]?.site ?? null) : null);
}

/** DR sites: those the inventory marks secondary/dr; without any, every other site counts. */
export function drSitesOf(m: TopologyModel): string[] {
  const marked = m.sites.filter((s) => s.role === 'secondary' || s.role === 'dr').map((s) => s.name);
  return marked.length ? marked : m.sites.filter((s) => s.role !== 'primary').map((s) => s.name);
}

function mirroredTo(i: ImageNode, site: string): boolean {
  return i.sides.some((s) => s.site === site && s.mirrored);
}

export function evaluateDrReadiness(m: TopologyModel, health: Finding[]): DrReadiness {
  const out: DrFinding[] = health
    .filter((f) => DR_HEALTH_RULES.has(f.rule))
    .map((f) => ({
      id: f.id,
      severity: f.severity,
      rule: f.rule,
      subject: f.subject,
      message: f.message,
      evidence: f.evidence,
      ...(f.site ? { site: f.site } : {}),
    }));
  const drSites = drSitesOf(m);
  const add = (f: Omit<DrFinding, 'id'>): void => {
    out.push({ ...f, id: `${f.rule}:${f.subject}` });
  };
  if (drSites.length === 0)
    add({
      severity: 'error',
      rule: 'dr-no-dr-site',
      subject: 'inventory',
      message: 'The inventory has no second site: nothing to fail over to.',
      evidence: { sites: m.sites.map((s) => ({ name: s.name, role: s.role })) },
    });

  const images = m.images.filter((i) => !TEST_COPY.test(i.name));
  const byName = new Map<string, ImageNode>();
  for (const i of images) byName.set(`${i.pool}/${i.name}`, i);
  for (const i of images) {
    if (i.mode !== 'none' || !i.sides.some((s) => s.source === 'local' && s.present)) continue;
    const os = i.openstack.kind !== 'none' && i.openstack.kind !== 'orphan';
    add({
      severity: os ? 'error' : 'warning',
      rule: 'dr-image-not-mirrored',
      subject: i.key,
      site: i.sides[0]?.site,
      message: `${i.pool}/${i.name}${os ? ` (${i.openstack.kind} ${i.openstack.id ?? ''})` : ''} is not mirrored: it does not exist at the DR site.`,
      evidence: {
        image: `${i.pool}/${i.name}`,
        sides: i.sides.map((s) => ({ cluster: s.cluster, mirrored: s.mirrored, present: s.present })),
        openstack: i.openstack,
      },
    });
  }

  const rpo: ImageRpo[] = images
    .filter((i) => i.mode !== 'none')
    .map((i) => ({
      key: i.key,
      image: `${i.pool}/${i.name}`,
      site: primarySite(i),
      mode: i.mode,
      seconds: i.rpo?.seconds ?? null,
      entriesBehind: i.rpo?.entriesBehind ?? null,
      openstack: i.openstack.id,
    }));
  const worstBySite: DrReadiness['worstBySite'] = {};
  for (const r of rpo) {
    const k = r.site ?? '(no primary)';
    const w = (worstBySite[k] ??= { seconds: null, entriesBehind: null, image: null, images: 0 });
    w.images++;
    if ((r.seconds ?? -1) > (w.seconds ?? -1)) {
      w.seconds = r.seconds;
      w.image = r.image;
    }
    if ((r.entriesBehind ?? -1) > (w.entriesBehind ?? -1)) w.entriesBehind = r.entriesBehind;
  }

  const os = m.openstack;
  let summary = {
    images: images.length,
    mirrored: rpo.length,
    volumes: 0,
    replicatedVolumes: 0,
    servers: 0,
    protectedServers: 0,
  };
  if (os?.reachable) {
    const volImage = (id: string): ImageNode | undefined => [...byName.values()].find((i) => i.name === `volume-${id}`);
    const protectedVolume = (id: string): boolean => {
      const v = os.volumes.find((x) => x.id === id);
      const img = volImage(id);
      return !!v && REPLICATED.has(v.replicationStatus ?? '') && !!img && drSites.some((s) => mirroredTo(img, s));
    };
    if (!os.errors['volumes']) {
      for (const v of os.volumes) {
        if (REPLICATED.has(v.replicationStatus ?? '')) continue;
        add({
          severity: v.attachedServerIds.length ? 'error' : 'warning',
          rule: 'dr-volume-not-replicated',
          subject: v.id,
          message: `Cinder volume ${v.name ?? v.id} (type ${v.type ?? '?'}) is not replicated: no copy at the DR site, and failover-host puts it in error (openstack-facts.md 6).`,
          evidence: {
            id: v.id,
            type: v.type,
            replicationStatus: v.replicationStatus,
            status: v.status,
            attachedTo: v.attachedServerIds,
          },
        });
      }
    }
    if (!os.errors['images']) {
      const drStores = new Set(
        m.glanceStores.filter((s) => s.site !== null && drSites.includes(s.site)).map((s) => s.id),
      );
      const used = new Set(
        [...os.servers.map((s) => s.imageId), ...os.volumes.map((v) => v.imageId)].filter((x): x is string => !!x),
      );
      for (const g of os.images) {
        if (g.status !== 'active' || g.storesUnknown) continue;
        if (g.stores.some((s) => drStores.has(s))) continue;
        const rbdCopy = [...byName.values()].find((i) => i.name === g.id);
        const dataThere = !!rbdCopy && drSites.some((s) => mirroredTo(rbdCopy, s));
        add({
          severity: used.has(g.id) && !dataThere ? 'error' : 'warning',
          rule: 'dr-glance-missing-at-dr',
          subject: g.id,
          message: `Glance image ${g.name ?? g.id} is in no store of the DR site (${[...drStores].join(', ') || 'none configured'})${dataThere ? '; its RBD data is mirrored there, but Glance does not list that location' : ''}${used.has(g.id) ? ': servers/volumes use it' : ''}.`,
          evidence: {
            id: g.id,
            stores: g.stores,
            drStores: [...drStores],
            mirroredData: dataThere,
            used: used.has(g.id),
          },
        });
      }
    }
    if (!os.errors['servers']) {
      for (const s of os.servers) {
        const vols = os.volumes
          .filter((v) => v.attachedServerIds.includes(s.id) || s.volumeIds.includes(v.id))
          .map((v) => v.id);
        const badVols = vols.filter((v) => !protectedVolume(v));
        const disk = byName.get([...byName.keys()].find((k) => k.endsWith(`/${s.id}_disk`)) ?? '');
        const diskBad = disk !== undefined && !drSites.some((d) => mirroredTo(disk, d));
        summary.servers++;
        if (badVols.length === 0 && !diskBad) {
          summary.protectedServers++;
          continue;
        }
        add({
          severity: 'error',
          rule: 'dr-server-unprotected',
          subject: s.id,
          message: `Server ${s.name ?? s.id} would not survive a failover: ${[...badVols.map((v) => `volume ${v} not replicated/mirrored`), ...(diskBad ? [`Nova disk ${disk.pool}/${disk.name} not mirrored`] : [])].join('; ')}.`,
          evidence: {
            server: s.id,
            volumes: vols,
            unprotectedVolumes: badVols,
            novaDisk: disk ? `${disk.pool}/${disk.name}` : null,
          },
        });
      }
    }
    summary = {
      ...summary,
      volumes: os.volumes.length,
      replicatedVolumes: os.volumes.filter((v) => REPLICATED.has(v.replicationStatus ?? '')).length,
    };
  }

  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const seen = new Set<string>();
  const findings = out.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true)));
  for (const f of findings) counts[f.severity]++;
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  findings.sort(
    (a, b) =>
      order[a.severity] - order[b.severity] || a.rule.localeCompare(b.rule) || a.subject.localeCompare(b.subject),
  );
  return {
    generatedAt: m.generatedAt,
    drSites,
    ready: counts.error === 0,
    counts,
    findings,
    rpo,
    worstBySite,
    summary,
  };
}

export function renderDrReadiness(r: DrReadiness): string {
  const lines = [`DR readiness: ${r.ready ? 'READY' : 'NOT READY'} (DR sites: ${r.drSites.join(', ') || 'none'})`];
  lines.push(
    `images ${r.summary.images} (mirrored ${r.summary.mirrored}), volumes ${r.summary.volumes} (replicated ${r.summary.replicatedVolumes}), servers ${r.summary.servers} (protected ${r.summary.protectedServers})`,
  );
  for (const [site, w] of Object.entries(r.worstBySite))
    lines.push(
      `worst RPO for a failover away from ${site}: ${w.seconds === null ? '?' : `${w.seconds} s`}${w.image ? ` (${w.image})` : ''}, max ${w.entriesBehind ?? 0} journal entries behind, ${w.images} images`,
    );
  for (const f of r.findings) lines.push(`${f.severity.toUpperCase().padEnd(7)} ${f.rule}  ${f.message}`);
  lines.push(`${r.counts.error} error, ${r.counts.warning} warning, ${r.counts.info} info`);
  return lines.join('\n');
}
