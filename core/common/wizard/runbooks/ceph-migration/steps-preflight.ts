/** Preflight: discover, check both clusters, create the destination pools, freeze API changes. */
import { parseCephDf, parseCephStatus, parseOsdPoolLsDetail } from '../../../parsers';
import { StepFailedError } from '../../errors';
import type { Check, StepContext, StepDef } from '../../types';
import { cmd } from './commands';
import { cloudState, listImages, parseMonIps, pool, rbdInfo, readParsed } from './observe';
import { dst, facts, src, type ImageFact, type MigrationParams } from './params';

type S = StepDef<MigrationParams>;
type C = StepContext<MigrationParams>;
const discover = { purpose: 'discover' as const };

async function discoverImages(ctx: C): Promise<ImageFact[]> {
  const s = src(ctx);
  const listed = await Promise.all(
    ctx.params.pools.map(async (p) =>
      (await listImages(ctx, s, p.name, discover)).map((i) => ({ pool: p.name, name: i.name })),
    ),
  );
  const all = listed.flat();
  const infos = await pool(all, 4, (i) => rbdInfo(ctx, s, i.pool, i.name, discover));
  const out: ImageFact[] = all.map((i, k) => {
    const inf = infos[k];
    const par = inf?.parent;
    return {
      pool: i.pool,
      name: i.name,
      size: inf?.size ?? null,
      features: inf?.features ?? [],
      parent: par ? { pool: par.pool, image: par.image, snapshot: par.snapshot } : null,
      depth: 0,
    };
  });
  const key = (p: string, n: string): string => `${p}/${n}`;
  const byKey = new Map(out.map((i) => [key(i.pool, i.name), i]));
  const depthOf = (i: ImageFact, seen = 0): number => {
    if (!i.parent || seen > 16) return 0;
    const par = byKey.get(key(i.parent.pool, i.parent.image));
    return par ? 1 + depthOf(par, seen + 1) : 1;
  };
  for (const i of out) i.depth = depthOf(i);
  return out;
}

export const preflightSteps: S[] = [
  {
    id: 'discover',
    title: 'Discover clusters, images and the cloud',
    phase: 'Preflight',
    risk: 'read',
    description:
      'Reads fsids, monitors, pools, every image (features, clone parent) and the affected servers, volumes and Glance images.',
    plan: (c) => {
      const s = src(c);
      const d = dst(c);
      return [
        { host: s.host, argv: cmd.cephStatus(s.target) },
        { host: s.host, argv: cmd.monDump(s.target) },
        { host: d.host, argv: cmd.cephStatus(d.target) },
        { host: d.host, argv: cmd.monDump(d.target) },
        { host: d.host, argv: cmd.poolLsDetail(d.target) },
        { host: s.host, argv: cmd.poolLsDetail(s.target) },
        ...c.params.pools.map((p) => ({ host: s.host, argv: cmd.ls(s.target, p.name) })),
        {
          host: s.host,
          argv: cmd.info(s.target, c.params.pools[0]?.name ?? 'POOL', 'IMAGE'),
          placeholder: true,
          note: 'rbd info for each image found',
        },
      ];
    },
    execute: async (ctx) => {
      const s = src(ctx);
      const d = dst(ctx);
      const [ss, ds, sm, dm, dpools, spools] = await Promise.all([
        readParsed(ctx, s.host, cmd.cephStatus(s.target), parseCephStatus, discover),
        readParsed(ctx, d.host, cmd.cephStatus(d.target), parseCephStatus, discover),
        readParsed(ctx, s.host, cmd.monDump(s.target), parseMonIps, discover),
        readParsed(ctx, d.host, cmd.monDump(d.target), parseMonIps, discover),
        readParsed(ctx, d.host, cmd.poolLsDetail(d.target), parseOsdPoolLsDetail, discover),
        readParsed(ctx, s.host, cmd.poolLsDetail(s.target), parseOsdPoolLsDetail, discover),
      ]);
      const poolsToCreate = ctx.params.pools
        .filter((p) => !dpools.some((x) => x.name === p.name))
        .map((p) => ({ name: p.name, pgNum: spools.find((x) => x.name === p.name)?.pgNum ?? 32 }));
      const images = await discoverImages(ctx);
      ctx.setFacts({ srcFsid: ss.fsid, dstFsid: ds.fsid, srcMonIps: sm, dstMonIps: dm, poolsToCreate, images });
      const cloud = await cloudState(ctx, discover);
      if (cloud) {
        const wanted = ctx.params.openstack?.servers;
        const servers = cloud.servers.filter((x) => (wanted ? wanted.includes(x.id) : true));
        const ids = new Set(servers.map((x) => x.id));
        const attachments = cloud.volumes.flatMap((v) =>
          v.attachedServerIds.filter((sid) => ids.has(sid)).map((serverId) => ({ serverId, volumeId: v.id })),
        );
        const migrated = new Set(ctx.params.pools.map((p) => p.name));
        const glanceImages = cloud.images
          .filter(
            (i) => i.status === 'active' && i.rbdLocations.some((l) => l.fsid === ss.fsid && migrated.has(l.pool)),
          )
          .map((i) => ({ id: i.id, name: i.name, status: i.status }));
        ctx.setFacts({
          servers: servers.map((x) => ({ id: x.id, name: x.name, status: x.status })),
          attachments,
          glanceImages,
        });
      }
    },
    verify: (ctx) => {
      const f = facts(ctx.facts);
      const ok = !!f.srcFsid && !!f.dstFsid && Array.isArray(f.images);
      return Promise.resolve({
        ok,
        evidence: `source fsid ${f.srcFsid ?? '?'}, destination fsid ${f.dstFsid ?? '?'}, ${f.images?.length ?? 0} images, ${f.servers?.length ?? 0} servers, ${f.attachments?.length ?? 0} attachments, ${f.glanceImages?.length ?? 0} Glance images`,
      });
    },
  },
  {
    id: 'check-clusters',
    title: 'Check both clusters, parents, space and names',
    phase: 'Preflight',
    risk: 'read',
    plan: (c) => [
      { host: src(c).host, argv: cmd.cephStatus(src(c).target) },
      { host: dst(c).host, argv: cmd.cephStatus(dst(c).target) },
      { host: src(c).host, argv: cmd.df(src(c).target) },
      { host: dst(c).host, argv: cmd.df(dst(c).target) },
    ],
    preconditions: (ctx) => clusterChecks(ctx),
    execute: () => Promise.resolve(),
    verify: async (ctx) => {
      const checks = await clusterChecks(ctx);
      const bad = checks.filter((c) => !c.ok && c.severity !== 'warning');
      return {
        ok: bad.length === 0,
        evidence: checks
          .map((c) => `${c.ok ? 'ok' : c.severity === 'warning' ? 'warn' : 'FAIL'} ${c.name}: ${c.evidence}`)
          .join('; '),
      };
    },
  },
  {
    id: 'create-destination-pools',
    title: 'Create the destination pools like the source',
    phase: 'Preflight',
    risk: 'change',
    description: 'Same pg count as the source; `rbd pool init` sets the rbd application.',
    plan: (c) => {
      const d = dst(c);
      const f = facts(c.facts);
      const list = f.poolsToCreate ?? c.params.pools.map((p) => ({ name: p.name, pgNum: 0 }));
      return list.flatMap((p) => [
        {
          host: d.host,
          argv: cmd.poolCreate(d.target, p.name, p.pgNum || 32),
          ...(f.poolsToCreate ? {} : { placeholder: true, note: 'only pools missing on the destination' }),
        },
        { host: d.host, argv: cmd.poolInit(d.target, p.name) },
      ]);
    },
    verify: async (ctx) => {
      const d = dst(ctx);
      const pools = await readParsed(ctx, d.host, cmd.poolLsDetail(d.target), parseOsdPoolLsDetail);
      const missing = ctx.params.pools.filter(
        (p) => !pools.some((x) => x.name === p.name && x.applications.includes('rbd')),
      );
      return {
        ok: missing.length === 0,
        evidence: missing.length
          ? `missing or not rbd: ${missing.map((p) => p.name).join(', ')}`
          : `all ${ctx.params.pools.length} pools exist with application rbd`,
      };
    },
  },
  {
    id: 'freeze-api',
    title: 'Freeze API changes',
    phase: 'Preflight',
    risk: 'change',
    description:
      'New servers or volumes created after mirroring starts would be outside it (the blog: shut the APIs or block changes).',
    skipIf: (c) =>
      c.params.freeze.method === 'none'
        ? 'freeze method "none": the operator accepted changes during mirroring'
        : undefined,
    plan: () => [],
    manual: {
      instructions: (c) =>
        [
          'Stop changes to the cloud while mirroring runs; running servers keep running.',
          '- e.g. stop the public API endpoints (haproxy backends) or set policies that refuse create/delete for everyone but admin.',
          c.params.freeze.note ? `- ${c.params.freeze.note}` : '',
          'When done, mark this step done: the wizard checks that the set of servers and volumes is unchanged.',
        ]
          .filter(Boolean)
          .join('\n'),
      terminal: (c) => (c.params.openstack ? { host: c.params.openstack.controller } : undefined),
    },
    verify: async (ctx) => {
      const cloud = await cloudState(ctx);
      if (!cloud) return { ok: true, evidence: 'no OpenStack in the parameters: the operator confirmed the freeze' };
      const f = facts(ctx.facts);
      const known = new Set((f.servers ?? []).map((s) => s.id));
      const extra = ctx.params.openstack?.servers ? [] : cloud.servers.filter((s) => !known.has(s.id));
      return {
        ok: extra.length === 0,
        evidence: extra.length
          ? `servers created since discovery: ${extra.map((s) => s.id).join(', ')}`
          : `${cloud.servers.length} servers, ${cloud.volumes.length} volumes: unchanged since discovery`,
      };
    },
  },
];

async function clusterChecks(ctx: C): Promise<Check[]> {
  const s = src(ctx);
  const d = dst(ctx);
  const f = facts(ctx.facts);
  const [ss, ds, sdf, ddf] = await Promise.all([
    readParsed(ctx, s.host, cmd.cephStatus(s.target), parseCephStatus, { purpose: 'precondition' }),
    readParsed(ctx, d.host, cmd.cephStatus(d.target), parseCephStatus, { purpose: 'precondition' }),
    readParsed(ctx, s.host, cmd.df(s.target), parseCephDf, { purpose: 'precondition' }),
    readParsed(ctx, d.host, cmd.df(d.target), parseCephDf, { purpose: 'precondition' }),
  ]);
  const checks: Check[] = [];
  const health = (name: string, h: string): Check => ({
    name: `${name} health`,
    ok: h === 'HEALTH_OK',
    severity: h === 'HEALTH_ERR' ? 'error' : 'warning',
    evidence: h,
  });
  checks.push(health(`source ${s.cluster}`, ss.health), health(`destination ${d.cluster}`, ds.health));
  checks.push({ name: 'two different clusters', ok: ss.fsid !== ds.fsid, evidence: `${ss.fsid} vs ${ds.fsid}` });
  const images = f.images ?? [];
  const inScope = new Set(images.map((i) => `${i.pool}/${i.name}`));
  const orphans = images.filter((i) => i.parent && !inScope.has(`${i.parent.pool}/${i.parent.image}`));
  checks.push({
    name: 'clone parents are migrated too',
    ok: orphans.length === 0,
    evidence: orphans.length
      ? orphans.map((i) => `${i.pool}/${i.name} -> ${i.parent?.pool ?? ''}/${i.parent?.image ?? ''}`).join(', ')
      : `${images.filter((i) => i.parent).length} clones, all parents in scope (mirrored first)`,
  });
  const noLock = images.filter(
    (i) =>
      ctx.params.pools.find((p) => p.name === i.pool)?.mode === 'journal' && !i.features.includes('exclusive-lock'),
  );
  checks.push({
    name: 'journaling possible (exclusive-lock)',
    ok: noLock.length === 0,
    evidence: noLock.length
      ? noLock.map((i) => `${i.pool}/${i.name}`).join(', ')
      : 'all journal-mode images have exclusive-lock',
  });
  const need = sdf.pools
    .filter((p) => ctx.params.pools.some((x) => x.name === p.name))
    .reduce((a, p) => a + (p.stored ?? 0), 0);
  const avail = ddf.availBytes ?? 0;
  checks.push({
    name: 'free space on the destination',
    ok: avail > need * 1.2,
    evidence: `need ${need} bytes (+20 %), destination has ${avail} available`,
  });
  const journaled = images.filter((i) => ctx.params.pools.find((p) => p.name === i.pool)?.mode === 'journal').length;
  if (journaled > 0) {
    checks.push({
      name: 'journaling cost',
      ok: false,
      severity: 'warning',
      evidence: `${journaled} images get the journaling feature: write latency nearly doubles for busy images until the link is cut (operator-pitfalls 3)`,
    });
  }
  if (!f.images) throw new StepFailedError('discovery facts missing: run the discover step first');
  return checks;
}
