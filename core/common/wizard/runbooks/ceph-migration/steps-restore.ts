/** Re-point the cloud (manual, verified), then Restore (downtime ends) and Finish. */
import { displayArgv } from '../../../commands/quote';
import type { StepContext, StepDef } from '../../types';
import { grepKey, oscmd } from './commands';
import { cloudAction, cloudState, settledCloud } from './observe';
import { checksums } from './steps-switch';
import { controller, facts, type Ctx, type MigrationParams } from './params';

type S = StepDef<MigrationParams>;
type C = StepContext<MigrationParams>;
const noCloud = (c: { params: MigrationParams }): string | undefined =>
  c.params.openstack ? undefined : 'no OpenStack controller in the parameters';

const valuesOf = (grepOut: string): string[] =>
  grepOut
    .split('\n')
    .map((l) => l.split('=').slice(1).join('=').trim())
    .filter((v) => v !== '');

/** Every configured check: the service's key names a ceph.conf whose fsid/mon host are the destination's. */
async function repointEvidence(ctx: C): Promise<{ ok: boolean; lines: string[] }> {
  const f = facts(ctx.facts);
  const ctl = controller(ctx);
  const lines: string[] = [];
  let ok = ctx.params.repoint.checks.length > 0;
  if (!ctl) return { ok: false, lines: ['no OpenStack controller in the parameters: nothing to verify'] };
  for (const chk of ctx.params.repoint.checks) {
    const r = await ctx.run(ctl.host, grepKey(chk.file, [chk.key], chk.sudo), { purpose: 'verify' });
    const confs = valuesOf(r.stdout);
    if (confs.length === 0) {
      ok = false;
      lines.push(`${chk.service}: ${chk.key} not found in ${chk.file}`);
      continue;
    }
    for (const conf of confs) {
      const c = await ctx.run(ctl.host, grepKey(conf, ['fsid', 'mon host', 'mon_host'], chk.sudo), {
        purpose: 'verify',
      });
      const fsid = c.stdout.split('\n').find((l) => /^\s*fsid\s*=/.test(l));
      const mon = c.stdout.split('\n').find((l) => /^\s*mon[ _]host\s*=/.test(l)) ?? '';
      // v2 and v1 addresses of one monitor name the same IP: list it once.
      const ips = [...new Set([...mon.matchAll(/(\d{1,3}(?:\.\d{1,3}){3})/g)].map((m) => m[1] ?? ''))];
      const fsidVal = fsid ? valuesOf(fsid)[0] : undefined;
      const fsidOk = fsidVal === undefined || fsidVal === f.dstFsid;
      const monOk =
        ips.length > 0 &&
        ips.every((ip) => (f.dstMonIps ?? []).includes(ip)) &&
        !ips.some((ip) => (f.srcMonIps ?? []).includes(ip));
      if (!fsidOk || !monOk) ok = false;
      lines.push(
        `${chk.service}: ${chk.key} = ${conf} -> fsid ${fsidVal ?? '(not set)'} ${fsidOk ? 'ok' : `!= ${f.dstFsid ?? '?'}`}, mons ${ips.join(' ') || '(none)'} ${monOk ? 'are the destination' : 'NOT the destination'}`,
      );
    }
  }
  return { ok, lines };
}

function repointInstructions(c: Ctx): string {
  const f = facts(c.facts);
  const files = c.params.repoint.checks.map((x) => `- ${x.service}: \`${x.key}\` in \`${x.file}\``).join('\n');
  return [
    `Point Nova, Glance and Cinder at the destination cluster ${c.params.destination.cluster} (fsid ${f.dstFsid ?? '?'}, monitors ${(f.dstMonIps ?? []).join(' ') || '?'}).`,
    'How depends on the deployment: juju remove-relation/add-relation to the new ceph-mon (the blog), kolla-ansible reconfigure with the new ceph.conf, TripleO CephExternal parameters, or by hand:',
    files || '- (no files given in the parameters)',
    '- replace the ceph.conf those keys name (fsid + mon_host of the destination) and the client keyrings; keep rbd_secret_uuid unless the libvirt secret changes',
    '- restart glance-api, cinder-volume, nova-compute',
    "- Glance's image locations (rbd://<source fsid>/…) are the next step's work, not this one's",
    c.params.repoint.instructions ?? '',
    c.params.repoint.command
      ? `"Open a terminal" types this deployment's re-point command on ${c.params.openstack?.controller ?? 'the controller'}, ready to run: ${displayArgv(c.params.repoint.command)}`
      : '',
    'Then mark this step done: the wizard reads the keys and the ceph.conf they name and compares fsid and monitors.',
  ]
    .filter(Boolean)
    .join('\n');
}

export const repointSteps: S[] = [
  {
    id: 'repoint-cloud',
    title: 'Re-point Nova, Glance and Cinder to the destination',
    phase: 'Re-point',
    risk: 'change',
    skipIf: noCloud,
    plan: () => [],
    manual: {
      instructions: repointInstructions,
      terminal: (c) =>
        c.params.openstack
          ? {
              host: c.params.openstack.controller,
              ...(c.params.repoint.command ? { command: displayArgv(c.params.repoint.command) } : {}),
            }
          : undefined,
    },
    verify: async (ctx) => {
      const r = await repointEvidence(ctx);
      return { ok: r.ok, evidence: r.lines.join('\n') };
    },
  },
];

export const restoreSteps: S[] = [
  {
    id: 'verify-checksums',
    title: 'Compare destination data with the source (sha256 per image)',
    phase: 'Restore',
    risk: 'read',
    skipIf: (c) => (c.params.checksums ? undefined : 'checksums disabled in the parameters'),
    plan: () => [],
    execute: async (ctx) => {
      ctx.setFacts({ dstChecksums: await checksums(ctx, 'destination') });
    },
    verify: (ctx) => {
      const f = facts(ctx.facts);
      const a = f.srcChecksums ?? {};
      const b = f.dstChecksums ?? {};
      const keys = Object.keys(a);
      const diff = keys.filter((k) => a[k] !== b[k]);
      return Promise.resolve({
        ok: keys.length > 0 && diff.length === 0 && keys.length === Object.keys(b).length,
        evidence: diff.length ? `differ: ${diff.join(', ')}` : `${keys.length} images identical (sha256)`,
      });
    },
  },
  {
    id: 'activate-images',
    title: 'Activate the Glance images',
    phase: 'Restore',
    risk: 'change',
    skipIf: noCloud,
    plan: (c) => {
      const ctl = controller(c);
      return ctl
        ? (facts(c.facts).glanceImages ?? []).map((i) => ({
            host: ctl.host,
            argv: oscmd.imageActivate(ctl.role, i.id),
          }))
        : [];
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const want = facts(ctx.facts).glanceImages ?? [];
      const bad = want.filter((i) => cloud?.images.find((x) => x.id === i.id)?.status !== 'active');
      return {
        ok: bad.length === 0,
        evidence: bad.length ? `not active: ${bad.map((i) => i.id).join(', ')}` : `${want.length} images active`,
      };
    },
  },
  {
    id: 'attach-volumes',
    title: 'Re-attach the volumes',
    phase: 'Restore',
    risk: 'change',
    skipIf: noCloud,
    plan: (c) => {
      const ctl = controller(c);
      return ctl
        ? (facts(c.facts).attachments ?? []).map((a) => ({
            host: ctl.host,
            argv: oscmd.volumeAttach(ctl.role, a.serverId, a.volumeId),
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
        if (!v?.attachedServerIds.includes(a.serverId))
          await cloudAction(ctx, ctl.host, oscmd.volumeAttach(ctl.role, a.serverId, a.volumeId), v?.name ?? undefined);
      }
    },
    wait: {
      intervalMs: 3000,
      timeoutMs: 600_000,
      poll: async (ctx) => {
        const cloud = await cloudState(ctx, { purpose: 'poll' });
        const att = facts(ctx.facts).attachments ?? [];
        const n = att.filter((a) => cloud?.volumes.find((v) => v.id === a.volumeId)?.status === 'in-use').length;
        return {
          done: n === att.length,
          progress: { done: n, total: att.length, message: `${n}/${att.length} volumes in-use` },
          evidence: '',
        };
      },
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const att = facts(ctx.facts).attachments ?? [];
      const bad = att.filter((a) => {
        const v = cloud?.volumes.find((x) => x.id === a.volumeId);
        return v?.status !== 'in-use' || !v.attachedServerIds.includes(a.serverId);
      });
      return {
        ok: bad.length === 0,
        evidence: bad.length
          ? `not in-use on their server: ${bad.map((a) => a.volumeId).join(', ')}`
          : `${att.length} volumes in-use on their servers`,
      };
    },
  },
  {
    id: 'start-servers',
    title: 'Start the servers',
    phase: 'Restore',
    risk: 'change',
    skipIf: noCloud,
    plan: (c) => {
      const ctl = controller(c);
      const ids =
        (c.facts['serversToStart'] as string[] | undefined) ??
        (facts(c.facts).servers ?? []).filter((s) => s.status === 'ACTIVE').map((s) => s.id);
      return ctl ? ids.map((id) => ({ host: ctl.host, argv: oscmd.serverStart(ctl.role, id) })) : [];
    },
    execute: async (ctx) => {
      const ctl = controller(ctx);
      const cloud = await cloudState(ctx, { purpose: 'precondition' });
      if (!ctl || !cloud) return;
      for (const id of (ctx.facts['serversToStart'] as string[] | undefined) ?? []) {
        const s = cloud.servers.find((x) => x.id === id);
        if (s?.status === 'SHUTOFF') await cloudAction(ctx, ctl.host, oscmd.serverStart(ctl.role, id), s.name ?? id);
      }
    },
    wait: {
      intervalMs: 3000,
      timeoutMs: 600_000,
      poll: async (ctx) => {
        const cloud = await cloudState(ctx, { purpose: 'poll' });
        const want = (ctx.facts['serversToStart'] as string[] | undefined) ?? [];
        const n = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status === 'ACTIVE').length;
        return {
          done: n === want.length,
          progress: { done: n, total: want.length, message: `${n}/${want.length} servers ACTIVE` },
          evidence: '',
        };
      },
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      const want = (ctx.facts['serversToStart'] as string[] | undefined) ?? [];
      const bad = want.filter((id) => cloud?.servers.find((s) => s.id === id)?.status !== 'ACTIVE');
      return {
        ok: bad.length === 0,
        evidence: bad.length ? `not ACTIVE: ${bad.join(', ')}` : `${want.length} servers ACTIVE`,
      };
    },
  },
];

export const finishSteps: S[] = [
  {
    id: 'unfreeze-api',
    title: 'Allow API changes again',
    phase: 'Finish',
    risk: 'change',
    skipIf: (c) => (c.params.freeze.method === 'none' ? 'nothing was frozen' : undefined),
    plan: () => [],
    manual: {
      instructions: () =>
        'Undo the API freeze (start the API endpoints / restore the policies). Then mark this step done.',
    },
    verify: () =>
      Promise.resolve({ ok: true, evidence: 'the operator restored API access (not observable from here)' }),
  },
];
