/** Cut the link: peers out on both sides, mirroring off per image then per pool, source fenced, journaling off. */
import { StepFailedError } from '../../errors';
import type { StepContext, StepDef } from '../../types';
import { cmd } from './commands';
import { imageNames, pool, poolInfo, rbdInfos } from './observe';
import { byDepth, dst, facts, spec, src, type ClusterEnd, type MigrationParams } from './params';

type S = StepDef<MigrationParams>;
type C = StepContext<MigrationParams>;
export const FENCE_SUFFIX = '.migrated';
export const FENCE_META_KEY = 'switchyard.migrated-to';
/** Per-image changes in flight on one host (the SSH pool runs 6 channels per connection; reads use the rest). */
const CHANGES_IN_FLIGHT = 4;

/**
 * Per image then per pool, in an order Ceph accepts: a pool in "pool" mode is switched to "image" mode first (image
 * disable is refused in pool mode), clones before their parents ("mirroring is enabled on one or more children"),
 * and on the source `--force` because its images are non-primary (ceph-facts.md 7).
 */
async function disableMirroring(
  ctx: C,
  end: ClusterEnd,
  force: boolean,
  afterImage?: (pool: string, image: string) => Promise<void>,
): Promise<void> {
  // Pools are independent of each other here: their reads and mode changes run side by side (this is downtime).
  await Promise.all(
    ctx.params.pools.map(async (p) => {
      const info = await poolInfo(ctx, end, p.name, { purpose: 'precondition' });
      // A peer that came back since remove-peers (a daemon re-registering) blocks every mode change: remove it again.
      for (const peer of info.peers)
        await ctx.run(end.host, cmd.peerRemove(end.target, p.name, peer.uuid), {
          note: `late ${peer.direction} peer ${peer.siteName}`,
        });
      if (info.mode === 'pool') await ctx.run(end.host, cmd.mirrorPoolEnable(end.target, p.name, 'image', end.cluster));
    }),
  );
  const images = byDepth(facts(ctx.facts).images ?? [], 'children-first');
  for (const depth of [...new Set(images.map((i) => i.depth))]) {
    const group = images.filter((i) => i.depth === depth);
    // What each image is now (resume-safe: gone or already disabled is skipped), read in batches.
    const infos = await rbdInfos(ctx, end, group);
    await pool(group, CHANGES_IN_FLIGHT, async (i) => {
      const inf = infos.get(spec(i)) ?? null;
      if (inf?.mirroring && inf.mirroring.state !== 'disabled')
        await ctx.run(end.host, cmd.mirrorImageDisable(end.target, i.pool, i.name, force));
      if (inf && afterImage) await afterImage(i.pool, i.name);
    });
  }
  await Promise.all(
    ctx.params.pools.map(async (p) => {
      const info = await poolInfo(ctx, end, p.name, { purpose: 'precondition' });
      if (info.mode !== 'disabled') await ctx.run(end.host, cmd.mirrorPoolDisable(end.target, p.name));
    }),
  );
}

async function mirroringOff(ctx: C, end: ClusterEnd): Promise<string[]> {
  const infos = await Promise.all(ctx.params.pools.map((p) => poolInfo(ctx, end, p.name)));
  return ctx.params.pools.flatMap((p, k) => {
    const info = infos[k];
    return info && info.mode === 'disabled' && info.peers.length === 0
      ? []
      : [`${end.cluster}/${p.name}: mode ${info?.mode ?? '?'}, ${info?.peers.length ?? '?'} peers`];
  });
}

function imagesPlan(c: Parameters<S['plan']>[0], end: ClusterEnd, build: (pool: string, image: string) => string[][]) {
  const images = facts(c.facts).images;
  if (!images)
    return c.params.pools.flatMap((p) =>
      build(p.name, 'IMAGE').map((argv) => ({
        host: end.host,
        argv,
        placeholder: true,
        note: `each image of ${p.name}`,
      })),
    );
  return byDepth(images, 'children-first').flatMap((i) =>
    build(i.pool, i.name).map((argv) => ({ host: end.host, argv })),
  );
}

export const cutSteps: S[] = [
  {
    id: 'stop-destination-rbd-mirror',
    title: 'Stop and disable rbd-mirror on the destination',
    description:
      'First: a running destination rbd-mirror re-registers its tx-only peer on the source right after it is removed, and the source pool then refuses to change mode (rc=16 "mirror peers still registered", seen in the lab).',
    phase: 'Cut the link',
    risk: 'change',
    plan: (c) => [{ host: dst(c).host, argv: c.params.mirrorDaemon.stop }],
    verify: async (ctx) => {
      const r = await ctx.run(dst(ctx).host, ctx.params.mirrorDaemon.isRunning, { purpose: 'verify' });
      return {
        ok: r.exitCode !== 0 && r.exitCode !== null,
        evidence: `isRunning exit ${r.exitCode ?? 'none'} (non-zero = stopped)`,
      };
    },
  },
  {
    id: 'remove-peers',
    title: 'Remove the peers on both sides (including the hidden tx-only peer)',
    phase: 'Cut the link',
    risk: 'change',
    description:
      'The destination rbd-mirror registered a tx-only peer on the source that only `mirror pool info --all` shows; until it is gone, pool disable fails rc=16.',
    plan: (c) =>
      c.params.pools.flatMap((p) => [
        {
          host: dst(c).host,
          argv: cmd.peerRemove(dst(c).target, p.name, '00000000-0000-0000-0000-000000000000'),
          placeholder: true,
          note: `rx-only peer uuid from mirror pool info --all (${p.name})`,
        },
        {
          host: src(c).host,
          argv: cmd.peerRemove(src(c).target, p.name, '00000000-0000-0000-0000-000000000000'),
          placeholder: true,
          note: `tx-only peer uuid from mirror pool info --all (${p.name})`,
        },
      ]),
    execute: async (ctx) => {
      const pairs = [dst(ctx), src(ctx)].flatMap((end) => ctx.params.pools.map((p) => ({ end, p })));
      await Promise.all(
        pairs.map(async ({ end, p }) => {
          const info = await poolInfo(ctx, end, p.name, { purpose: 'precondition' });
          for (const peer of info.peers)
            await ctx.run(end.host, cmd.peerRemove(end.target, p.name, peer.uuid), {
              note: `${peer.direction} peer ${peer.siteName}`,
            });
        }),
      );
    },
    verify: async (ctx) => {
      const pairs = [dst(ctx), src(ctx)].flatMap((end) => ctx.params.pools.map((p) => ({ end, p })));
      const infos = await Promise.all(pairs.map(({ end, p }) => poolInfo(ctx, end, p.name)));
      const bad = pairs.flatMap(({ end, p }, k) => {
        const info = infos[k];
        return info && info.peers.length > 0
          ? [`${end.cluster}/${p.name}: ${info.peers.map((x) => `${x.direction} ${x.siteName}`).join(', ')}`]
          : [];
      });
      return {
        ok: bad.length === 0,
        evidence: bad.length ? `peers left: ${bad.join('; ')}` : 'no peers on either side',
      };
    },
  },
  {
    id: 'disable-mirroring-destination',
    title: 'Disable mirroring on the destination (per image, then per pool)',
    phase: 'Cut the link',
    risk: 'change',
    plan: (c) => [
      ...c.params.pools
        .filter((p) => p.mode === 'journal')
        .map((p) => ({
          host: dst(c).host,
          argv: cmd.mirrorPoolEnable(dst(c).target, p.name, 'image', dst(c).cluster),
          note: 'pool mode -> image mode',
        })),
      ...imagesPlan(c, dst(c), (p, i) => [cmd.mirrorImageDisable(dst(c).target, p, i, false)]),
      ...c.params.pools.map((p) => ({ host: dst(c).host, argv: cmd.mirrorPoolDisable(dst(c).target, p.name) })),
    ],
    execute: (ctx) => disableMirroring(ctx, dst(ctx), false),
    verify: async (ctx) => {
      const bad = await mirroringOff(ctx, dst(ctx));
      return {
        ok: bad.length === 0,
        evidence: bad.length ? bad.join('; ') : `mirroring disabled on every pool of ${dst(ctx).cluster}`,
      };
    },
  },
  {
    id: 'release-and-fence-source',
    title: 'Disable mirroring on the source and fence its images',
    phase: 'Cut the link',
    risk: 'destructive',
    description:
      '`mirror image disable --force` turns the demoted source images into plain WRITABLE images (ceph-facts.md 7). Each is renamed to NAME.migrated right away, with image-meta naming the destination fsid: a forgotten client config that still points at the source fails to open the image instead of writing to a stale copy. Renaming is reversible (rbd rename) and keeps the data for a rollback; snapshot+protect would not stop writes to the head, and rbd locks are advisory.',
    confirm: (c) => ({
      expected: c.params.source.cluster,
      prompt: `Make the source images of ${c.params.source.cluster} plain images and fence them`,
    }),
    plan: (c) => {
      const s = src(c);
      const fsid = facts(c.facts).dstFsid ?? 'DESTINATION-FSID';
      return [
        ...c.params.pools
          .filter((p) => p.mode === 'journal')
          .map((p) => ({
            host: s.host,
            argv: cmd.mirrorPoolEnable(s.target, p.name, 'image', s.cluster),
            note: 'pool mode -> image mode',
          })),
        ...imagesPlan(c, s, (p, i) => [
          cmd.mirrorImageDisable(s.target, p, i, true),
          ...(c.params.fence === 'rename'
            ? [
                cmd.rename(s.target, p, i, i + FENCE_SUFFIX),
                cmd.imageMetaSet(s.target, p, i + FENCE_SUFFIX, FENCE_META_KEY, fsid),
              ]
            : []),
        ]),
        ...c.params.pools.map((p) => ({ host: s.host, argv: cmd.mirrorPoolDisable(s.target, p.name) })),
      ];
    },
    execute: async (ctx) => {
      const s = src(ctx);
      const fsid = facts(ctx.facts).dstFsid;
      if (!fsid) throw new StepFailedError('destination fsid unknown (discovery facts missing)');
      await disableMirroring(ctx, s, true, async (p, i) => {
        if (ctx.params.fence !== 'rename') return;
        await ctx.run(s.host, cmd.rename(s.target, p, i, i + FENCE_SUFFIX));
        await ctx.run(s.host, cmd.imageMetaSet(s.target, p, i + FENCE_SUFFIX, FENCE_META_KEY, fsid));
      });
    },
    verify: async (ctx) => {
      const s = src(ctx);
      const bad = await mirroringOff(ctx, s);
      if (ctx.params.fence === 'rename') {
        const images = facts(ctx.facts).images ?? [];
        // One `rbd ls` per pool (bulk) instead of two `rbd info` per image: the names are what fencing changed.
        const pools = [...new Set(images.map((i) => i.pool))];
        const names = await Promise.all(pools.map((p) => imageNames(ctx, s, p)));
        const byPool = new Map(pools.map((p, k) => [p, names[k] ?? new Set<string>()]));
        for (const i of images) {
          const have = byPool.get(i.pool) ?? new Set<string>();
          if (have.has(i.name)) bad.push(`${spec(i)} still present under its name`);
          if (!have.has(i.name + FENCE_SUFFIX)) bad.push(`${spec(i)}${FENCE_SUFFIX} missing`);
        }
      }
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? bad.join('; ')
          : `mirroring off on ${s.cluster}${ctx.params.fence === 'rename' ? `; images fenced as *${FENCE_SUFFIX}` : ''}`,
      };
    },
  },
  {
    id: 'disable-journaling',
    title: 'Disable journaling where it is still on',
    phase: 'Cut the link',
    risk: 'change',
    description:
      'Pool-mode disable may already have removed the feature; disabling it again fails rc=22 "already disabled", so features are read first (ceph-facts.md 8).',
    plan: (c) =>
      imagesPlan(c, dst(c), (p, i) =>
        c.params.pools.find((x) => x.name === p)?.mode === 'journal'
          ? [cmd.featureDisable(dst(c).target, p, i, 'journaling')]
          : [],
      ).map((x) => ({ ...x, note: 'only if the feature is still on' })),
    execute: async (ctx) => {
      const d = dst(ctx);
      const images = facts(ctx.facts).images ?? [];
      const infos = await rbdInfos(ctx, d, images, { purpose: 'precondition' });
      const missing = images.filter((i) => !infos.get(spec(i)));
      if (missing.length > 0) throw new StepFailedError(`missing on ${d.cluster}: ${missing.map(spec).join(', ')}`);
      const journaled = images.filter((i) => infos.get(spec(i))?.features.includes('journaling'));
      await pool(journaled, CHANGES_IN_FLIGHT, (i) =>
        ctx.run(d.host, cmd.featureDisable(d.target, i.pool, i.name, 'journaling')),
      );
    },
    verify: async (ctx) => {
      const d = dst(ctx);
      const images = facts(ctx.facts).images ?? [];
      const infos = await rbdInfos(ctx, d, images);
      const bad = images.filter((i) => {
        const inf = infos.get(spec(i));
        return !inf || inf.features.includes('journaling') || (inf.mirroring && inf.mirroring.state !== 'disabled');
      });
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `still journaling or mirrored: ${bad.map(spec).join(', ')}`
          : `${images.length} destination images: no journaling, no mirroring`,
      };
    },
  },
];
