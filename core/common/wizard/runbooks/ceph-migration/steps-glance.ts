/**
 * Glance's image locations after the re-point. Glance keeps `rbd://<source fsid>/POOL/ID/snap` in its database;
 * it still serves the data (its store's ceph.conf names the destination now), but Cinder (`_is_cloneable`) and Nova
 * compare that fsid with their own cluster's and make full copies instead of copy-on-write clones. The rows are
 * rewritten in Glance's DB (what operators do): Glance's API cannot, see `glanceSql` in ./commands.ts.
 */
import { displayArgv } from '../../../commands/quote';
import { StepFailedError } from '../../errors';
import type { Check, PlannedCommand, StepContext, StepDef, VerifyResult } from '../../types';
import { glanceSql, parseLocationRows } from './commands';
import { cloudState } from './observe';
import { controller, facts, type Ctx, type MigrationParams } from './params';

type S = StepDef<MigrationParams>;
type C = StepContext<MigrationParams>;

const moved = (c: Ctx): string[] => c.params.pools.map((p) => p.name);
const fsids = (c: Ctx): { src: string; dst: string } => {
  const f = facts(c.facts);
  return { src: f.srcFsid ?? 'SOURCE-FSID', dst: f.dstFsid ?? 'DESTINATION-FSID' };
};
const known = (c: Ctx): boolean => !!facts(c.facts).srcFsid && !!facts(c.facts).dstFsid;

/** The SQL text of the rewrite (with placeholders before discovery, for the plan preview only). */
function rewriteSql(c: Ctx): string {
  if (!known(c))
    return "START TRANSACTION; UPDATE image_locations SET value = REPLACE(value, 'rbd://SOURCE-FSID/', 'rbd://DESTINATION-FSID/') WHERE … ; COMMIT;";
  const { src, dst } = fsids(c);
  return glanceSql.rewrite(src, dst, moved(c));
}

function sqlArgv(c: Ctx, sql: string): string[] | undefined {
  const g = c.params.glanceLocations;
  return g.sql ? glanceSql.argv(g.sql, g.statementFlag, sql) : undefined;
}

function skip(c: Ctx, wantSql: boolean): string | undefined {
  if (!c.params.openstack) return 'no OpenStack controller in the parameters';
  if (wantSql && !c.params.glanceLocations.sql)
    return "no SQL command for Glance's database in the parameters: the manual step does it";
  if (!wantSql && c.params.glanceLocations.sql) return 'done by the SQL step (glanceLocations.sql is set)';
  const g = facts(c.facts).glanceImages;
  if (g && g.length === 0) return 'no Glance image has a location in the moved pools';
  return undefined;
}

/** Rows still naming the source (through the deployment's SQL command). */
async function rowsToRewrite(ctx: C, purpose: 'precondition' | 'verify'): Promise<string[]> {
  const ctl = controller(ctx);
  const { src } = fsids(ctx);
  const argv = sqlArgv(ctx, glanceSql.select(src, moved(ctx)));
  if (!ctl || !argv) throw new StepFailedError('no controller or no SQL command');
  const r = await ctx.run(ctl.host, argv, { purpose, note: "location rows of Glance's DB still naming the source" });
  if (r.exitCode !== 0)
    throw new StepFailedError(`SQL on Glance's database failed (exit ${r.exitCode ?? 'none'})`, r.stderr.slice(-2000));
  return parseLocationRows(r.stdout);
}

/**
 * Through Glance's API (what Cinder and Nova read): no image still names the source fsid in a moved pool, and every
 * image of the migration names the destination. With the SQL command, also 0 rows left in the database (it sees
 * every location, even where the API shows only direct_url).
 */
export async function locationsEvidence(ctx: C): Promise<VerifyResult> {
  const f = facts(ctx.facts);
  if (!f.srcFsid || !f.dstFsid) return { ok: false, evidence: 'fsids unknown (discovery facts missing)' };
  const cloud = await cloudState(ctx);
  if (!cloud) return { ok: false, evidence: 'no OpenStack controller in the parameters: nothing to verify' };
  const pools = new Set(moved(ctx));
  const stale = cloud.images.filter((i) => i.rbdLocations.some((l) => l.fsid === f.srcFsid && pools.has(l.pool)));
  const want = f.glanceImages ?? [];
  const notOnDst = want.filter((w) => {
    const i = cloud.images.find((x) => x.id === w.id);
    return !i?.rbdLocations.some((l) => l.fsid === f.dstFsid && pools.has(l.pool));
  });
  const lines = [
    stale.length
      ? `Glance API: ${stale.length} images still name the source fsid ${f.srcFsid}: ${stale.map((i) => `${i.id} (${i.status ?? '?'})`).join(', ')}`
      : `Glance API: no image names the source fsid ${f.srcFsid} in ${[...pools].join(', ')}`,
    notOnDst.length
      ? `Glance API: ${notOnDst.length} images of the migration have no location on the destination fsid ${f.dstFsid}: ${notOnDst.map((i) => i.id).join(', ')}`
      : `Glance API: the ${want.length} images of the migration name the destination fsid ${f.dstFsid}`,
  ];
  let ok = stale.length === 0 && notOnDst.length === 0;
  if (ctx.params.glanceLocations.sql) {
    const rows = await rowsToRewrite(ctx, 'verify');
    if (rows.length > 0) ok = false;
    lines.push(`Glance DB: ${rows.length} location rows name the source fsid`);
  }
  return { ok, evidence: lines.join('\n') };
}

function manualInstructions(c: Ctx): string {
  const { src, dst } = fsids(c);
  const sql = rewriteSql(c);
  return [
    `Glance still names the source cluster in every image location (rbd://${src}/POOL/ID/snap). Cinder and Nova compare that fsid with their own cluster's (${dst}) and would copy whole images instead of cloning them.`,
    "Rewrite the rows in Glance's database (not through Glance's API: removing a location there deletes the image data from the store, here the destination's):",
    '```sql',
    sql,
    '```',
    `Run it with the database client of this deployment on ${c.params.openstack?.controller ?? 'the controller'} (e.g. \`mysql glance -e "…"\`; kolla: \`docker exec mariadb mysql … glance\`). It changes only live rows of the moved pools on the source fsid; a location on another cluster or store stays.`,
    `To undo: the same UPDATE with the two fsids swapped.`,
    "Then mark this step done: the wizard reads every image through Glance's API and checks that none names the source fsid.",
  ].join('\n');
}

export const glanceLocationSteps: S[] = [
  {
    id: 'rewrite-glance-locations',
    title: "Rewrite Glance's image locations to the destination fsid (SQL)",
    phase: 'Re-point',
    risk: 'change',
    description:
      "Glance keeps rbd://<source fsid>/… as each image's location after the re-point; Cinder and Nova then copy whole images instead of cloning. One UPDATE in one transaction on Glance's DB (never Glance's location remove: it deletes the data behind the location).",
    skipIf: (c) => skip(c, true),
    plan: (c) => {
      const ctl = controller(c);
      const argv = sqlArgv(c, rewriteSql(c));
      if (!ctl || !argv) return [];
      const cmd: PlannedCommand = { host: ctl.host, argv, note: 'one transaction; rows of the moved pools only' };
      return [known(c) ? cmd : { ...cmd, placeholder: true }];
    },
    preconditions: async (ctx): Promise<Check[]> => {
      const rows = await rowsToRewrite(ctx, 'precondition');
      const before = facts(ctx.facts).glanceLocationImages ?? [];
      // Union: a re-run after a crash (rows already rewritten) finds 0 and must not forget the rollback's scope.
      ctx.setFacts({ glanceLocationImages: [...new Set([...before, ...rows])].sort() });
      return [
        {
          name: 'location rows to rewrite',
          ok: true,
          evidence: `${rows.length} rows (${new Set(rows).size} images) name the source fsid in ${moved(ctx).join(', ')}`,
        },
      ];
    },
    execute: async (ctx) => {
      const ctl = controller(ctx);
      const argv = sqlArgv(ctx, rewriteSql(ctx));
      if (!ctl || !argv) throw new StepFailedError('no controller or no SQL command');
      // Idempotent: after a crash that came after the COMMIT the same UPDATE matches 0 rows.
      const n = facts(ctx.facts).glanceLocationImages?.length ?? 0;
      await ctx.run(ctl.host, argv, { note: `rewrite the location rows of ${n} images` });
    },
    verify: (ctx) => locationsEvidence(ctx),
    rollback: async (ctx) => {
      const ctl = controller(ctx);
      const { src, dst } = fsids(ctx);
      const sql = glanceSql.reverse(src, dst, moved(ctx), facts(ctx.facts).glanceLocationImages ?? []);
      const argv = sql ? sqlArgv(ctx, sql) : undefined;
      if (ctl && argv) await ctx.run(ctl.host, argv, { note: 'locations back to the source fsid' });
    },
  },
  {
    id: 'rewrite-glance-locations-manual',
    title: "Rewrite Glance's image locations to the destination fsid (by hand)",
    phase: 'Re-point',
    risk: 'change',
    description:
      "No SQL command for Glance's database in the parameters: the operator runs the UPDATE shown; the wizard verifies through Glance's API.",
    skipIf: (c) => skip(c, false),
    plan: () => [],
    manual: {
      instructions: manualInstructions,
      terminal: (c) =>
        c.params.openstack
          ? {
              host: c.params.openstack.controller,
              command: displayArgv(['mysql', 'glance', '-e', rewriteSql(c)]),
            }
          : undefined,
    },
    verify: (ctx) => locationsEvidence(ctx),
  },
];
