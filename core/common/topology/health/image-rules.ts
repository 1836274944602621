/** Per-image mirroring rules: split-brain, primaries, errors, progress, RPO, clones, journaling, orphans. */
import { rbdInfo, rbdMirrorImageStatus } from '../../commands/rbd';
import { parseCephTime } from '../classify';
import type { ClusterNode, ImageNode, ImageSide, PoolNode, TopologyModel } from '../model';
import { finding, onCluster, type Finding, type ResolvedOptions } from './finding';

const sideEvidence = (s: ImageSide): Record<string, unknown> => ({
  cluster: s.cluster,
  site: s.site,
  source: s.source,
  state: s.state,
  description: s.description,
  lastUpdate: s.lastUpdate,
  role: s.role,
});

export interface ImageRuleContext {
  clusters: Map<string, ClusterNode>;
  pools: Map<string, PoolNode>;
  /** `cluster/pool/name` → side, for parent lookups. */
  sides: Map<string, ImageSide>;
  previous: Map<string, ImageNode> | null;
  o: ResolvedOptions;
}

export function imageRuleContext(m: TopologyModel, o: ResolvedOptions): ImageRuleContext {
  const sides = new Map<string, ImageSide>();
  for (const i of m.images)
    for (const s of i.sides) if (s.source === 'local') sides.set(`${s.cluster}/${s.pool}/${i.name}`, s);
  return {
    clusters: new Map(m.clusters.map((c) => [c.name, c])),
    pools: new Map(m.pools.map((p) => [p.key, p])),
    sides,
    previous: o.previous ? new Map(o.previous.images.map((i) => [i.key, i])) : null,
    o,
  };
}

/** Inside the grace period: first seen recently, or no status published yet but the peer updated recently. */
export function isFresh(img: ImageNode, ctx: ImageRuleContext): boolean {
  const first = ctx.o.firstSeen?.[img.key];
  if (first !== undefined) return ctx.o.now - first < ctx.o.graceSec * 1000;
  return false;
}

function look(
  ctx: ImageRuleContext,
  s: ImageSide | undefined,
  img: ImageNode,
  what: 'status' | 'info',
): Finding['suggestedCommand'] {
  if (!s) return null;
  const c = ctx.clusters.get(s.cluster);
  return what === 'status'
    ? onCluster(c, (t) => rbdMirrorImageStatus(t, s.pool, img.name), 'mirror status of this image from this site')
    : onCluster(c, (t) => rbdInfo(t, s.pool, img.name), 'authoritative primary flag, features and parent');
}

export function imageRules(img: ImageNode, ctx: ImageRuleContext): Finding[] {
  const out: Finding[] = [];
  const base = { subject: img.key, imageKey: img.key };
  const label = `${img.pool}/${img.name}`;
  const fresh = isFresh(img, ctx);
  const mirrored = img.sides.some((s) => s.mirrored);
  const evidence = { image: label, globalId: img.globalId, mode: img.mode, sides: img.sides.map(sideEvidence) };

  const split = img.sides.filter((s) => s.splitBrain);
  if (split.length > 0) {
    // Resync belongs on the side whose own replayer reports split-brain (the non-primary one).
    const victim = split.find((s) => s.role !== 'primary' && s.source === 'local') ?? split[0];
    out.push(
      finding({
        ...base,
        severity: 'error',
        rule: 'split-brain',
        site: victim?.site,
        cluster: victim?.cluster,
        message: `Split-brain on ${label}: ${victim?.cluster ?? '?'} no longer follows ${img.primaries.join(', ') || 'the primary'}. Decide which side's data wins, then resync the other (rbd mirror image resync) — never automatically.`,
        evidence,
        suggestedCommand: victim ? look(ctx, victim, img, 'info') : null,
      }),
    );
  }
  if (img.primaries.length >= 2) {
    out.push(
      finding({
        ...base,
        severity: 'error',
        rule: 'primary-both',
        message: `${label} is primary on ${img.primaries.join(' and ')} at once: writes on both sides diverge. Confirm with rbd info on each side, demote the side whose writes are to be discarded.`,
        evidence,
        suggestedCommand: look(
          ctx,
          img.sides.find((s) => s.role === 'primary' && s.source === 'local') ?? img.sides[0],
          img,
          'info',
        ),
      }),
    );
  } else if (
    mirrored &&
    img.primaries.length === 0 &&
    !fresh &&
    img.sides.length > 0 &&
    img.sides.every((s) => s.role === 'non-primary')
  ) {
    out.push(
      finding({
        ...base,
        severity: 'error',
        rule: 'primary-none',
        message: `${label} is primary nowhere (every side reports non-primary): nothing is writable. Promote the side that should serve it.`,
        evidence,
        suggestedCommand: look(ctx, img.sides[0], img, 'info'),
      }),
    );
  }
  for (const s of img.sides) {
    if (s.status === 'error' && !s.splitBrain) {
      out.push(
        finding({
          ...base,
          id: `image-error:${img.key}@${s.cluster}`,
          severity: 'error',
          rule: 'image-error',
          site: s.site,
          cluster: s.cluster,
          message: `${label} on ${s.cluster}: ${s.description ?? 'error'}`,
          evidence: { ...evidence, side: sideEvidence(s) },
          suggestedCommand: look(ctx, s, img, 'status'),
        }),
      );
    }
    if (
      s.source === 'local' &&
      s.mirrored &&
      s.state === null &&
      s.role !== 'primary' &&
      img.sides.length > 1 &&
      !fresh
    ) {
      out.push(
        finding({
          ...base,
          id: `status-missing:${img.key}@${s.cluster}`,
          severity: 'warning',
          rule: 'status-missing',
          site: s.site,
          cluster: s.cluster,
          message: `${label} on ${s.cluster} has no mirror status published.`,
          evidence: { side: sideEvidence(s) },
          suggestedCommand: look(ctx, s, img, 'status'),
        }),
      );
    }
  }
  out.push(...progressRules(img, ctx, evidence, fresh));
  out.push(...cloneRules(img, ctx));
  return out;
}

function progressRules(
  img: ImageNode,
  ctx: ImageRuleContext,
  evidence: Record<string, unknown>,
  fresh: boolean,
): Finding[] {
  const out: Finding[] = [];
  const label = `${img.pool}/${img.name}`;
  const prev = ctx.previous?.get(img.key);
  for (const s of img.sides) {
    const r = s.replay;
    const syncing = s.status === 'syncing' || (r?.kind === 'snapshot' && r.replayState === 'syncing');
    if (syncing && !fresh) {
      const before = prev?.sides.find((x) => x.cluster === s.cluster);
      const sameProgress =
        before !== undefined && before.syncPercent === s.syncPercent && before.lastUpdate !== s.lastUpdate;
      const elapsed = ctx.o.previous ? (ctx.o.now - ctx.o.previous.generatedAt) / 1000 : 0;
      const noBytes = r !== null && r.bytesPerSecond === 0;
      const updated = parseCephTime(s.lastUpdate);
      const oldUpdate = updated !== null && ctx.o.now - updated > ctx.o.syncStuckSec * 1000;
      if ((sameProgress && elapsed >= ctx.o.syncStuckSec) || (noBytes && oldUpdate) || oldUpdate) {
        out.push(
          finding({
            id: `sync-stuck:${img.key}@${s.cluster}`,
            subject: img.key,
            imageKey: img.key,
            severity: 'warning',
            rule: 'sync-stuck',
            site: s.site,
            cluster: s.cluster,
            message: `${label} on ${s.cluster} has been syncing without progress (${s.syncPercent ?? '?'}%).`,
            evidence: {
              ...evidence,
              syncPercent: s.syncPercent,
              previousSyncPercent: before?.syncPercent ?? null,
              bytesPerSecond: r?.bytesPerSecond ?? null,
              lastUpdate: s.lastUpdate,
            },
            suggestedCommand: look(ctx, s, img, 'status'),
          }),
        );
      }
    }
    if (
      r?.kind === 'journal' &&
      s.role === 'non-primary' &&
      (r.entriesBehindPrimary ?? 0) > 0 &&
      r.entriesPerSecond === 0 &&
      r.bytesPerSecond === 0
    ) {
      const primary = img.sides.find((x) => x.role === 'primary');
      if (primary?.source === 'local' && primary.up === true && !fresh) {
        out.push(
          finding({
            id: `replay-stalled:${img.key}@${s.cluster}`,
            subject: img.key,
            imageKey: img.key,
            severity: 'warning',
            rule: 'replay-stalled',
            site: s.site,
            cluster: s.cluster,
            message: `${label} on ${s.cluster} is ${r.entriesBehindPrimary} journal entries behind and not replaying (0 entries/s) while the primary is up.`,
            evidence: { ...evidence, replay: r },
            suggestedCommand: look(ctx, s, img, 'status'),
          }),
        );
      }
    }
  }
  const rpo = img.rpo;
  if (rpo?.kind === 'snapshot' && rpo.seconds !== null && rpo.seconds > ctx.o.rpoWarnSec) {
    out.push(
      finding({
        subject: img.key,
        imageKey: img.key,
        severity: rpo.seconds > ctx.o.rpoErrorSec ? 'error' : 'warning',
        rule: 'rpo-exceeded',
        message: `${label}: last mirror snapshot copied ${Math.round(rpo.seconds / 60)} min ago (threshold ${Math.round(ctx.o.rpoWarnSec / 60)} min); a failover now loses that much.`,
        evidence: { ...evidence, rpo },
        suggestedCommand: look(ctx, img.sides.find((s) => s.role === 'non-primary') ?? img.sides[0], img, 'status'),
      }),
    );
  } else if (rpo?.kind === 'journal' && (rpo.entriesBehind ?? 0) > ctx.o.journalEntriesWarn) {
    out.push(
      finding({
        subject: img.key,
        imageKey: img.key,
        severity: 'warning',
        rule: 'rpo-exceeded',
        message: `${label}: ${rpo.entriesBehind} journal entries behind the primary (threshold ${ctx.o.journalEntriesWarn}).`,
        evidence: { ...evidence, rpo },
        suggestedCommand: look(ctx, img.sides.find((s) => s.role === 'non-primary') ?? img.sides[0], img, 'status'),
      }),
    );
  }
  return out;
}

function cloneRules(img: ImageNode, ctx: ImageRuleContext): Finding[] {
  const out: Finding[] = [];
  for (const s of img.sides) {
    if (!s.parent || s.source !== 'local') continue;
    const pool = ctx.pools.get(`${s.cluster}/${s.pool}`);
    // Image-mode pools hold plenty of deliberately unmirrored images; only a mirrored clone, or any clone in a
    // pool-mode pool, needs its parent mirrored.
    const wantsMirror = s.mirrored || pool?.mirrorMode === 'pool';
    if (!wantsMirror) continue;
    const parentPool = ctx.pools.get(`${s.cluster}/${s.parent.pool}`);
    if (!parentPool?.verbose) continue;
    const parent = ctx.sides.get(`${s.cluster}/${s.parent.pool}/${s.parent.image}`);
    if (parent?.mirrored) continue;
    out.push(
      finding({
        id: `clone-parent-not-mirrored:${img.key}@${s.cluster}`,
        subject: img.key,
        imageKey: img.key,
        severity: 'error',
        rule: 'clone-parent-not-mirrored',
        site: s.site,
        cluster: s.cluster,
        message: `${s.pool}/${img.name} on ${s.cluster} is a clone of ${s.parent.pool}/${s.parent.image}@${s.parent.snapshot}, which is ${parent ? 'not mirrored' : 'missing'}: the clone cannot be mirrored (EINVAL) until its parent is (mirror the Glance pool first, or flatten).`,
        evidence: {
          image: `${s.pool}/${img.name}`,
          child: sideEvidence(s),
          parent: s.parent,
          parentMirrored: parent?.mirrored ?? null,
          parentPoolMode: parentPool.mirrorMode,
        },
        suggestedCommand: look(ctx, s, img, 'info'),
      }),
    );
  }
  return out;
}

export function journalingRule(img: ImageNode, ctx: ImageRuleContext): Finding[] {
  const out: Finding[] = [];
  for (const s of img.sides) {
    if (s.source !== 'local' || !s.present || s.mirrored) continue;
    const pool = ctx.pools.get(`${s.cluster}/${s.pool}`);
    if (pool?.mirrorMode !== 'pool' || !pool.verbose || pool.mirroredImageCount === null) continue;
    out.push(
      finding({
        id: `pool-image-without-journaling:${s.cluster}/${s.pool}/${img.name}`,
        subject: img.key,
        imageKey: img.key,
        severity: 'warning',
        rule: 'pool-image-without-journaling',
        site: s.site,
        cluster: s.cluster,
        message: `${s.pool}/${img.name} on ${s.cluster} is in a pool-mode pool but not mirrored: it lacks the journaling feature (pool mode mirrors only journaled images).`,
        evidence: { poolMode: pool.mirrorMode, inMirrorStatus: false, side: sideEvidence(s) },
        suggestedCommand: look(ctx, s, img, 'info'),
      }),
    );
  }
  return out;
}
