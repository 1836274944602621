/** Switch-over (downtime starts): stop servers, detach volumes, deactivate images, demote, checksum, promote. */
import { StepFailedError } from '../../errors';
import type { StepContext, StepDef } from '../../types';
import { cmd, oscmd } from './commands';
import { cloudAction, cloudState, pool, poolStatus, rbdInfos, settledCloud } from './observe';
import { controller, dst, facts, poolsParentsFirst, spec, src, type MigrationParams } from './params';

type S = StepDef<MigrationParams>;
type C = StepContext<MigrationParams>;
const noCloud = (c: { params: MigrationParams }): string | undefined =>
  c.params.openstack ? undefined : 'no OpenStack controller in the parameters';

function parseSha(stdout: string): string {
  const m = /^([0-9a-f]{64})\b/.exec(stdout.trim());
  if (!m?.[1]) throw new StepFailedError('checksum output is not a sha256', stdout.slice(0, 200));
  return m[1];
}

export async function checksums(ctx: C, which: 'source' | 'destination'): Promise<Record<string, string>> {
  const end = which === 'source' ? src(ctx) : dst(ctx);
  const images = facts(ctx.facts).images ?? [];
  const sums = await pool(images, 4, async (i) => {
    const r = await ctx.run(end.host, cmd.checksum(end.target, i.pool, i.name), {
      purpose: 'verify',
      timeoutMs: 3_600_000,
      note: `sha256 of ${spec(i)} on ${end.cluster}`,
    });
    if (r.exitCode !== 0)
      throw new StepFailedError(
        `checksum of ${spec(i)} on ${end.cluster} failed (exit ${r.exitCode ?? 'none'})`,
        r.stderr.slice(-1000),
      );
    return parseSha(r.stdout);
  });
  return Object.fromEntries(images.map((i, k) => [spec(i), sums[k] ?? '']));
}

async function primaries(ctx: C): Promise<{ bad: string[]; n: number }> {
  const images = facts(ctx.facts).images ?? [];
  const s = src(ctx);
  const d = dst(ctx);
  // Every image's authoritative primary flag on both sides, batched (one exec per 16 images, not per image).
  const [as, bs] = await Promise.all([rbdInfos(ctx, s, images), rbdInfos(ctx, d, images)]);
  const bad: string[] = [];
  for (const i of images) {
    const a = as.get(spec(i));
    const b = bs.get(spec(i));
    if (a?.mirroring?.primary !== false || b?.mirroring?.primary !== true)
      bad.push(
        `${spec(i)} (source ${a ? `primary ${String(a.mirroring?.primary)}` : 'missing'}, destination ${b ? `primary ${String(b.mirroring?.primary)}` : 'missing'})`,
      );
  }
  return { bad, n: images.length };
}

export const switchSteps: S[] = [
  {
    id: 'stop-servers',
    title: 'Stop the servers',
    phase: 'Switch-over',
    risk: 'change',
    description: 'Libvirt must rebuild its disk definitions with the new monitors, so the servers stop (not deleted).',
    skipIf: noCloud,
    plan: (c) => {
      const ctl = controller(c);
      const servers = facts(c.facts).servers ?? [];
      return ctl
        ? servers
            .filter((s) => s.status === 'ACTIVE')
            .map((s) => ({ host: ctl.host, argv: oscmd.serverStop(ctl.role, s.id), note: s.name ?? s.id }))
        : [];
    },
    execute: async (ctx) => {
      const ctl = controller(ctx);
      const cloud = await cloudState(ctx, { purpose: 'precondition' });
      if (!ctl || !cloud) return;
      const scope = new Set((facts(ctx.facts).servers ?? []).map((s) => s.id));
      const active = cloud.servers.filter((s) => scope.has(s.id) && s.status === 'ACTIVE').map((s) => s.id);
      // Remember which were running: restore starts exactly those.
      const prev = (ctx.facts['serversToStart'] as string[] | undefined) ?? [];
      ctx.setFacts({ serversToStart: [...new Set([...prev, ...active])] });
      const names = new Map(cloud.servers.map((s) => [s.id, s.name ?? s.id]));
      for (const id of active) await cloudAction(ctx, ctl.host, oscmd.serverStop(ctl.role, id), names.get(id));
    },
    wait: {
      intervalMs: 3000,
      timeoutMs: 600_000,
      poll: async (ctx) => {
        const cloud = await cloudState(ctx, { purpose: 'poll' });
        const want = (ctx.facts['serversToStart'] as string[] | undefined) ?? [];
        const off = cloud
          ? cloud.servers.filter((s) => want.includes(s.id) && s.status === 'SHUTOFF').length
          : want.length;
        return {
          done: off === want.length,
          progress: { done: off, total: want.length, message: `${off}/${want.length} servers SHUTOFF` },
          evidence: '',
        };
      },
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const scope = new Set((facts(ctx.facts).servers ?? []).map((s) => s.id));
      const running = (cloud?.servers ?? []).filter((s) => scope.has(s.id) && s.status !== 'SHUTOFF');
      return {
        ok: running.length === 0,
        evidence: running.length
          ? `not SHUTOFF: ${running.map((s) => `${s.id} ${s.status ?? ''}`).join(', ')}`
          : `${scope.size} servers SHUTOFF`,
      };
    },
  },
  {
    id: 'detach-volumes',
    title: 'Detach the volumes',
    phase: 'Switch-over',
    risk: 'change',
    skipIf: noCloud,
    plan: (c) => {
      const ctl = controller(c);
      return ctl
        ? (facts(c.facts).attachments ?? []).map((a) => ({
            host: ctl.host,
            argv: oscmd.volumeDetach(ctl.role, a.serverId, a.volumeId),
          }))
        : [];
    },
    execute: async (ctx) => {
      const ctl = controller(ctx);
      const att = facts(ctx.facts).attachments ?? [];
      const cloud = await settledCloud(
        ctx,
        att.map((a) => a.volumeId),
      );
      if (!ctl || !cloud) return;
      for (const a of att) {
        const v = cloud.volumes.find((x) => x.id === a.volumeId);
        if (v?.attachedServerIds.includes(a.serverId))
          await cloudAction(ctx, ctl.host, oscmd.volumeDetach(ctl.role, a.serverId, a.volumeId), v.name ?? undefined);
      }
    },
    wait: {
      intervalMs: 3000,
      timeoutMs: 600_000,
      poll: async (ctx) => {
        const cloud = await cloudState(ctx, { purpose: 'poll' });
        const att = facts(ctx.facts).attachments ?? [];
        const free = att.filter((a) => cloud?.volumes.find((v) => v.id === a.volumeId)?.status === 'available').length;
        return {
          done: free === att.length,
          progress: { done: free, total: att.length, message: `${free}/${att.length} volumes available` },
          evidence: '',
        };
      },
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const att = facts(ctx.facts).attachments ?? [];
      const still = att.filter((a) => cloud?.volumes.find((v) => v.id === a.volumeId)?.status !== 'available');
      return {
        ok: still.length === 0,
        evidence: still.length
          ? `still attached: ${still.map((a) => a.volumeId).join(', ')}`
          : `${att.length} volumes available`,
      };
    },
  },
  {
    id: 'deactivate-images',
    title: 'Deactivate the Glance images',
    phase: 'Switch-over',
    risk: 'change',
    skipIf: noCloud,
    plan: (c) => {
      const ctl = controller(c);
      return ctl
        ? (facts(c.facts).glanceImages ?? []).map((i) => ({
            host: ctl.host,
            argv: oscmd.imageDeactivate(ctl.role, i.id),
            note: i.name ?? i.id,
          }))
        : [];
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const want = facts(ctx.facts).glanceImages ?? [];
      const bad = want.filter((i) => cloud?.images.find((x) => x.id === i.id)?.status !== 'deactivated');
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `not deactivated: ${bad.map((i) => i.id).join(', ')}`
          : `${want.length} images deactivated`,
      };
    },
  },
  {
    id: 'demote-source',
    title: 'Demote the source pools',
    phase: 'Switch-over',
    risk: 'destructive',
    description: 'From here the source is read-only; every image must become primary on the destination.',
    confirm: (c) => ({
      expected: c.params.source.cluster,
      prompt: `Demote every mirrored image of cluster ${c.params.source.cluster}`,
    }),
    plan: (c) => c.params.pools.map((p) => ({ host: src(c).host, argv: cmd.poolDemote(src(c).target, p.name) })),
    verify: async (ctx) => {
      const s = src(ctx);
      const images = facts(ctx.facts).images ?? [];
      const infos = await rbdInfos(ctx, s, images);
      const bad = images.filter((i) => infos.get(spec(i))?.mirroring?.primary !== false);
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `still primary: ${bad.map(spec).join(', ')}`
          : `${images.length} images non-primary on ${s.cluster}`,
      };
    },
  },
  {
    id: 'checksum-source',
    title: 'Checksum every image on the source (read-only now)',
    phase: 'Switch-over',
    risk: 'read',
    skipIf: (c) => (c.params.checksums ? undefined : 'checksums disabled in the parameters'),
    plan: (c) => {
      const images = facts(c.facts).images;
      return images
        ? images.map((i) => ({ host: src(c).host, argv: cmd.checksum(src(c).target, i.pool, i.name) }))
        : [
            {
              host: src(c).host,
              argv: cmd.checksum(src(c).target, 'POOL', 'IMAGE'),
              placeholder: true,
              note: 'each image',
            },
          ];
    },
    execute: async (ctx) => {
      ctx.setFacts({ srcChecksums: await checksums(ctx, 'source') });
    },
    verify: (ctx) => {
      const n = Object.keys(facts(ctx.facts).srcChecksums ?? {}).length;
      const want = facts(ctx.facts).images?.length ?? 0;
      return Promise.resolve({ ok: n === want, evidence: `${n}/${want} source checksums taken` });
    },
  },
  {
    id: 'wait-demotion-propagated',
    title: 'Wait until the destination has taken the demotion',
    phase: 'Switch-over',
    risk: 'read',
    description:
      'Promoting before every image shows up+stopped (journal) or up+unknown (snapshot) fails EBUSY partway (ceph-facts.md 6).',
    plan: (c) =>
      c.params.pools.map((p) => ({
        host: dst(c).host,
        argv: cmd.mirrorPoolStatus(dst(c).target, p.name),
        note: 'polled',
      })),
    execute: () => Promise.resolve(),
    wait: {
      intervalMs: 2000,
      timeoutMs: 600_000,
      poll: async (ctx) => {
        const r = await demotionSeen(ctx);
        return {
          done: r.done === r.total,
          progress: {
            done: r.done,
            total: r.total,
            message: `${r.done}/${r.total} destination images up+stopped/up+unknown`,
          },
          evidence: r.waiting.join('\n'),
        };
      },
    },
    verify: async (ctx) => {
      const r = await demotionSeen(ctx);
      return {
        ok: r.done === r.total,
        evidence: `${r.done}/${r.total} images show the demotion${r.waiting.length ? `; waiting: ${r.waiting.join(', ')}` : ''}`,
      };
    },
  },
  {
    id: 'promote-destination',
    title: 'Promote the destination pools (retry on EBUSY)',
    phase: 'Switch-over',
    risk: 'change',
    retry: { onExitCodes: [16], attempts: 8, delayMs: 5000 },
    plan: (c) =>
      poolsParentsFirst(c.params, facts(c.facts).images).map((p) => ({
        host: dst(c).host,
        argv: cmd.poolPromote(dst(c).target, p),
      })),
    verify: async (ctx) => {
      const r = await primaries(ctx);
      return {
        ok: r.bad.length === 0,
        evidence: r.bad.length
          ? `not primary on the destination only: ${r.bad.join('; ')}`
          : `${r.n} images primary on ${dst(ctx).cluster} only`,
      };
    },
  },
];

async function demotionSeen(ctx: C): Promise<{ done: number; total: number; waiting: string[] }> {
  const d = dst(ctx);
  const images = facts(ctx.facts).images ?? [];
  let done = 0;
  const waiting: string[] = [];
  for (const p of ctx.params.pools) {
    const want = images.filter((i) => i.pool === p.name);
    if (want.length === 0) continue;
    const st = await poolStatus(ctx, d, p.name, { purpose: 'poll' });
    for (const i of want) {
      const s = st.images.find((x) => x.name === i.name)?.state;
      if (s?.up === true && (s.status === 'stopped' || s.status === 'unknown')) done++;
      else waiting.push(`${spec(i)}: ${s?.raw ?? 'not listed'}`);
    }
  }
  return { done, total: images.length, waiting };
}
