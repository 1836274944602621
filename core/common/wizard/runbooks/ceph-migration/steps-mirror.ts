/** Mirror: one-way rbd-mirror from source to destination, then wait until every image replays and is caught up. */
import type { MirrorImageStatus } from '../../../parsers';
import { StepFailedError } from '../../errors';
import type { PlannedCommand, StepContext, StepDef } from '../../types';
import { cmd } from './commands';
import { pool, poolInfo, poolStatus, rbdInfo } from './observe';
import {
  byDepth,
  dst,
  facts,
  modeOf,
  poolsParentsFirst,
  src,
  type Ctx,
  type ImageFact,
  type MigrationParams,
} from './params';

type S = StepDef<MigrationParams>;
type C = StepContext<MigrationParams>;

const poolMode = (m: 'journal' | 'snapshot'): 'pool' | 'image' => (m === 'journal' ? 'pool' : 'image');

function imagePlaceholder(
  c: Ctx,
  host: string,
  build: (pool: string, image: string) => string[],
  note: string,
): PlannedCommand[] {
  return c.params.pools.map((p) => ({
    host,
    argv: build(p.name, 'IMAGE'),
    placeholder: true,
    note: `${note} (each image of ${p.name}, found by discovery)`,
  }));
}

/** Image is replaying and has nothing left to copy. Journal: 0 entries behind; snapshot: idle on the latest snapshot. */
export function caughtUp(st: MirrorImageStatus | undefined, mode: 'journal' | 'snapshot'): boolean {
  if (!st?.state || st.state.up !== true || st.state.status !== 'replaying') return false;
  const r = st.parsed.replay;
  if (mode === 'journal') return r?.kind === 'journal' && r.entriesBehindPrimary === 0;
  return (
    r?.kind === 'snapshot' &&
    r.replayState === 'idle' &&
    r.localSnapshotTimestamp !== null &&
    r.localSnapshotTimestamp === r.remoteSnapshotTimestamp
  );
}

async function replayProgress(ctx: C): Promise<{ done: number; total: number; lagging: string[] }> {
  const d = dst(ctx);
  const images = facts(ctx.facts).images ?? [];
  let done = 0;
  const lagging: string[] = [];
  for (const p of ctx.params.pools) {
    const want = images.filter((i) => i.pool === p.name);
    if (want.length === 0) continue;
    const st = await poolStatus(ctx, d, p.name, { purpose: 'poll' });
    for (const i of want) {
      const s = st.images.find((x) => x.name === i.name);
      if (caughtUp(s, p.mode)) done++;
      else
        lagging.push(
          `${p.name}/${i.name}: ${s?.state?.raw ?? 'not listed yet'}${s?.parsed.syncPercent != null ? ` ${s.parsed.syncPercent}%` : ''}`,
        );
    }
  }
  return { done, total: images.length, lagging };
}

export const mirrorSteps: S[] = [
  {
    id: 'enable-pool-mirroring',
    title: 'Enable pool mirroring on both clusters',
    phase: 'Mirror',
    risk: 'change',
    description:
      'journal pools in "pool" mode (every journaled image mirrors), snapshot pools in "image" mode; site names = cluster names.',
    plan: (c) => {
      const s = src(c);
      const d = dst(c);
      return poolsParentsFirst(c.params, facts(c.facts).images).flatMap((name) => {
        const m = poolMode(modeOf(c.params, name));
        return [
          { host: s.host, argv: cmd.mirrorPoolEnable(s.target, name, m, s.cluster) },
          { host: d.host, argv: cmd.mirrorPoolEnable(d.target, name, m, d.cluster) },
        ];
      });
    },
    verify: async (ctx) => {
      const bad: string[] = [];
      for (const end of [src(ctx), dst(ctx)]) {
        for (const p of ctx.params.pools) {
          const info = await poolInfo(ctx, end, p.name);
          if (info.mode !== poolMode(p.mode)) bad.push(`${end.cluster}/${p.name}: ${info.mode}`);
        }
      }
      return {
        ok: bad.length === 0,
        evidence: bad.length ? `wrong mode: ${bad.join(', ')}` : 'mirror mode set on every pool of both clusters',
      };
    },
  },
  {
    id: 'peer-bootstrap',
    title: 'Create the mirroring user and peer (token via stdin only)',
    phase: 'Mirror',
    risk: 'change',
    description:
      'bootstrap create on the source makes client.rbd-mirror-peer and prints a token holding its key: the wizard keeps it in memory and writes it to the import on the destination through stdin. Never logged, never in a file.',
    plan: (c) => {
      const s = src(c);
      const d = dst(c);
      const first = c.params.pools[0]?.name ?? '';
      return [
        {
          host: s.host,
          argv: cmd.bootstrapCreate(s.target, first, s.cluster),
          captureSecret: 'bootstrap-token',
          note: 'token kept in memory only',
        },
        ...c.params.pools.map((p) => ({
          host: d.host,
          argv: cmd.bootstrapImport(d.target, p.name, d.cluster),
          stdinSecret: 'bootstrap-token',
          note: 'token on stdin',
        })),
      ];
    },
    execute: async (ctx) => {
      const s = src(ctx);
      const d = dst(ctx);
      // Idempotent on re-run: pools that already have the rx peer are left alone.
      const need: string[] = [];
      for (const p of ctx.params.pools) {
        const info = await poolInfo(ctx, d, p.name, { purpose: 'precondition' });
        if (!info.peers.some((x) => x.siteName === s.cluster)) need.push(p.name);
      }
      if (need.length === 0) return;
      const created = await ctx.run(s.host, cmd.bootstrapCreate(s.target, need[0] ?? '', s.cluster), {
        secretOutput: true,
        note: 'bootstrap token',
      });
      if (!created.secret || created.secret.length < 20) throw new StepFailedError('bootstrap create printed no token');
      ctx.secrets.set('bootstrap-token', created.secret);
      for (const name of need)
        await ctx.run(d.host, cmd.bootstrapImport(d.target, name, d.cluster), {
          stdin: created.secret,
          note: 'token on stdin',
        });
    },
    verify: async (ctx) => {
      const s = src(ctx);
      const d = dst(ctx);
      const bad: string[] = [];
      for (const p of ctx.params.pools) {
        const info = await poolInfo(ctx, d, p.name);
        const peer = info.peers.find((x) => x.siteName === s.cluster);
        if (!peer || peer.direction !== 'rx-only') bad.push(`${p.name}: ${peer ? peer.direction : 'no peer'}`);
      }
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? bad.join(', ')
          : `rx-only peer ${s.cluster} on ${ctx.params.pools.length} destination pools`,
      };
    },
  },
  {
    id: 'start-destination-rbd-mirror',
    title: 'Start rbd-mirror on the destination',
    phase: 'Mirror',
    risk: 'change',
    plan: (c) => [{ host: dst(c).host, argv: c.params.mirrorDaemon.start }],
    wait: {
      intervalMs: 5000,
      timeoutMs: 240_000,
      // A daemon registers within seconds but reports per pool only in ~30 s steps (ceph-facts.md 5).
      poll: async (ctx) => {
        const d = dst(ctx);
        const first = ctx.params.pools[0]?.name ?? '';
        const st = await poolStatus(ctx, d, first, { purpose: 'poll' });
        const ok = st.daemons.filter((x) => x.health === 'OK').length;
        return {
          done: ok > 0,
          progress: { done: ok > 0 ? 1 : 0, total: 1, message: `rbd-mirror daemons reporting OK on ${first}: ${ok}` },
          evidence: JSON.stringify(st.daemons),
        };
      },
    },
    verify: async (ctx) => {
      const d = dst(ctx);
      const r = await ctx.run(d.host, ctx.params.mirrorDaemon.isRunning, { purpose: 'verify' });
      const st = await poolStatus(ctx, d, ctx.params.pools[0]?.name ?? '');
      const ok = st.daemons.some((x) => x.health === 'OK');
      return {
        ok: r.exitCode === 0 && ok,
        evidence: `isRunning exit ${r.exitCode ?? 'none'}; daemons: ${st.daemons.map((x) => `${x.serviceId}:${x.health}`).join(', ') || 'none'}`,
      };
    },
  },
  {
    id: 'enable-image-mirroring',
    title: 'Enable mirroring per image (parents first)',
    phase: 'Mirror',
    risk: 'change',
    description:
      'Journal pools: add the journaling feature; snapshot pools: enable snapshot mirroring. Glance parents before their clones, or the clone enable fails EINVAL.',
    plan: (c) => {
      const s = src(c);
      const images = facts(c.facts).images;
      if (!images)
        return imagePlaceholder(
          c,
          s.host,
          (p, i) =>
            modeOf(c.params, p) === 'journal'
              ? cmd.featureEnable(s.target, p, i, 'journaling')
              : cmd.mirrorImageEnable(s.target, p, i),
          'enable',
        );
      return byDepth(images, 'parents-first')
        .filter((i) => !(modeOf(c.params, i.pool) === 'journal' && i.features.includes('journaling')))
        .map((i) => ({
          host: s.host,
          argv:
            modeOf(c.params, i.pool) === 'journal'
              ? cmd.featureEnable(s.target, i.pool, i.name, 'journaling')
              : cmd.mirrorImageEnable(s.target, i.pool, i.name),
        }));
    },
    execute: async (ctx) => {
      const s = src(ctx);
      const images = facts(ctx.facts).images ?? [];
      // Re-read before acting: a re-run after a crash must not fail on images already enabled.
      for (const depth of [...new Set(images.map((i) => i.depth))].sort((a, b) => a - b)) {
        await pool(
          images.filter((i) => i.depth === depth),
          4,
          async (i) => {
            const inf = await rbdInfo(ctx, s, i.pool, i.name, { purpose: 'precondition' });
            if (inf.mirroring?.state === 'enabled') return;
            const mode = modeOf(ctx.params, i.pool);
            if (mode === 'journal') {
              if (!inf.features.includes('journaling'))
                await ctx.run(s.host, cmd.featureEnable(s.target, i.pool, i.name, 'journaling'));
            } else await ctx.run(s.host, cmd.mirrorImageEnable(s.target, i.pool, i.name));
          },
        );
      }
    },
    verify: async (ctx) => {
      const s = src(ctx);
      const images = facts(ctx.facts).images ?? [];
      const infos = await pool(images, 4, (i) => rbdInfo(ctx, s, i.pool, i.name));
      const bad = images.filter(
        (_, k) => infos[k]?.mirroring?.state !== 'enabled' || infos[k]?.mirroring?.primary !== true,
      );
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `not enabled+primary: ${bad.map((i) => `${i.pool}/${i.name}`).join(', ')}`
          : `${images.length} images mirrored, primary on ${s.cluster}`,
      };
    },
  },
  {
    id: 'wait-replaying',
    title: 'Wait until every image is up+replaying and caught up',
    phase: 'Mirror',
    risk: 'read',
    description: 'Destination status appears ~30 s after the data (ceph-facts.md 5); progress counts images caught up.',
    plan: (c) =>
      c.params.pools.map((p) => ({
        host: dst(c).host,
        argv: cmd.mirrorPoolStatus(dst(c).target, p.name),
        note: 'polled every 10 s',
      })),
    execute: () => Promise.resolve(),
    wait: {
      intervalMs: 10_000,
      timeoutMs: 1800_000,
      timeoutFrom: (c) => c.params.replayTimeoutSec * 1000,
      poll: async (ctx) => {
        const p = await replayProgress(ctx);
        return {
          done: p.done === p.total,
          progress: {
            done: p.done,
            total: p.total,
            message: p.lagging.length
              ? `waiting for ${p.lagging.slice(0, 3).join('; ')}${p.lagging.length > 3 ? ` (+${p.lagging.length - 3})` : ''}`
              : 'all caught up',
          },
          evidence: p.lagging.join('\n'),
        };
      },
    },
    verify: async (ctx) => {
      const p = await replayProgress(ctx);
      return {
        ok: p.done === p.total,
        evidence: `${p.done}/${p.total} images up+replaying and caught up${p.lagging.length ? `; lagging: ${p.lagging.join(', ')}` : ''}`,
      };
    },
  },
];

export type { ImageFact };
