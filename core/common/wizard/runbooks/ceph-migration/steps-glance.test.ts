import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../../inventory/schema';
import { quoteArgv } from '../../../commands/quote';
import { planWizard } from '../../define';
import type { StepContext } from '../../types';
import { cephMigrationWizard, migrationParamsSchema, type MigrationParams } from '../ceph-migration';
import { glanceSql, parseLocationRows } from './commands';
import { glanceLocationSteps, locationsEvidence } from './steps-glance';
import { migrationInventory } from './fixtures.test-support';

const SRC = '6c2a2bd4-7b1e-4c1f-9a36-0c3f3c1b9e11';
const DST = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';
const IMG1 = 'be65f4c7-588d-4b5f-8867-31a651b28dab';
const IMG2 = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const IMG_DCN = '11112222-3333-4444-8555-666677778888';

const inventory: Inventory = migrationInventory({ a: { sudo: true }, b: { sudo: true } });
const SQL_PREFIX = ['sudo', '-n', 'mariadb', '--defaults-file=/srv/my.cnf', 'glance'];
const paramsWith = (glanceLocations?: unknown): MigrationParams =>
  migrationParamsSchema.parse({
    source: { cluster: 'ceph-a' },
    destination: { cluster: 'ceph-b' },
    pools: [
      { name: 'images', mode: 'snapshot' },
      { name: 'vms', mode: 'journal' },
      { name: 'my_pool', mode: 'journal' },
    ],
    openstack: { controller: 'ctl' },
    mirrorDaemon: { start: ['x'], stop: ['x'], isRunning: ['x'] },
    ...(glanceLocations ? { glanceLocations } : {}),
  });
const withSql = paramsWith({ sql: SQL_PREFIX });
const facts = {
  srcFsid: SRC,
  dstFsid: DST,
  glanceImages: [
    { id: IMG1, name: 'cirros', status: 'active' },
    { id: IMG2, name: "$(touch /tmp/x)'", status: 'active' },
  ],
};

const UPDATE =
  `START TRANSACTION; UPDATE image_locations SET value = REPLACE(value, 'rbd://${SRC}/', 'rbd://${DST}/') ` +
  `WHERE deleted = FALSE AND (LEFT(value, 50) = 'rbd://${SRC}/images/' OR LEFT(value, 47) = 'rbd://${SRC}/vms/' ` +
  `OR LEFT(value, 51) = 'rbd://${SRC}/my_pool/'); COMMIT;`;

describe('glanceSql', () => {
  it('rewrites only live rows of the moved pools on the source fsid, by prefix (no LIKE wildcard for _)', () => {
    expect(`rbd://${SRC}/images/`.length).toBe(50);
    expect(glanceSql.rewrite(SRC, DST, ['images', 'vms', 'my_pool'])).toBe(UPDATE);
    expect(glanceSql.select(SRC, ['images'])).toBe(
      `SELECT image_id FROM image_locations WHERE deleted = FALSE AND (LEFT(value, 50) = 'rbd://${SRC}/images/') ORDER BY image_id;`,
    );
  });

  it('rolls back only the rows of the images it changed', () => {
    expect(glanceSql.reverse(SRC, DST, ['images'], [IMG1, IMG2])).toBe(
      `START TRANSACTION; UPDATE image_locations SET value = REPLACE(value, 'rbd://${DST}/', 'rbd://${SRC}/') ` +
        `WHERE deleted = FALSE AND (LEFT(value, 50) = 'rbd://${DST}/images/') AND image_id IN ('${IMG1}', '${IMG2}'); COMMIT;`,
    );
    expect(glanceSql.reverse(SRC, DST, ['images'], [])).toBeUndefined();
  });

  it('refuses anything but UUIDs for fsids and image ids, and the same fsid on both sides', () => {
    for (const bad of ["x'; DROP TABLE images; --", `${SRC}'`, '', `${SRC} `, '6c2a2bd4-7b1e-4c1f-9a36-0c3f3c1b9e1'])
      expect(() => glanceSql.rewrite(bad, DST, ['images']), bad).toThrow(/not a UUID/);
    expect(() => glanceSql.rewrite(SRC, "x' OR '1'='1", ['images'])).toThrow(/not a UUID/);
    expect(() => glanceSql.select("' OR 1=1 --", ['images'])).toThrow(/not a UUID/);
    expect(() => glanceSql.reverse(SRC, DST, ['images'], [IMG1, "x') OR ('1'='1"])).toThrow(/image id is not a UUID/);
    expect(() => glanceSql.rewrite(SRC, SRC.toUpperCase(), ['images'])).toThrow(/same/);
    expect(() => glanceSql.rewrite(SRC, DST, ["im'ages"])).toThrow();
    expect(() => glanceSql.rewrite(SRC, DST, [])).toThrow(/no pools/);
  });

  it('reads one image id per row from mysql batch output (header, blank lines and noise ignored)', () => {
    expect(parseLocationRows(`image_id\n${IMG2}\n${IMG1}\n${IMG1}\n`)).toEqual([IMG2, IMG1, IMG1]);
    expect(parseLocationRows('')).toEqual([]);
    expect(parseLocationRows(` image_id\n--------\n ${IMG1}\n(1 row)\n`)).toEqual([IMG1]);
  });

  it('carries the SQL as one argv element that a POSIX shell gives back unchanged', () => {
    const argv = glanceSql.argv(SQL_PREFIX, '-e', UPDATE);
    expect(argv).toEqual([...SQL_PREFIX, '-e', UPDATE]);
    const back = execFileSync('sh', ['-c', `printf '%s\\0' ${quoteArgv(argv)}`], { encoding: 'utf8' });
    expect(back.split('\0').slice(0, -1)).toEqual(argv);
  });
});

describe('Glance location steps in the plan', () => {
  const plan = (p: MigrationParams, f: Record<string, unknown> = facts) =>
    planWizard(cephMigrationWizard, p, inventory, f);

  it('with a SQL command: one automatic step after the re-point, the exact UPDATE on the controller', () => {
    const steps = plan(withSql);
    const ids = steps.map((s) => s.id);
    expect(ids.indexOf('rewrite-glance-locations')).toBe(ids.indexOf('repoint-cloud') + 1);
    expect(ids.indexOf('rewrite-glance-locations')).toBeLessThan(ids.indexOf('verify-checksums'));
    const s = steps.find((x) => x.id === 'rewrite-glance-locations');
    expect(s?.notApplicable).toBeUndefined();
    expect(s?.commands).toEqual([
      { host: 'ctl', argv: [...SQL_PREFIX, '-e', UPDATE], note: 'one transaction; rows of the moved pools only' },
    ]);
    expect(steps.find((x) => x.id === 'rewrite-glance-locations-manual')?.notApplicable).toMatch(/SQL step/);
    // Before discovery the fsids are unknown: a placeholder, never a runnable statement.
    expect(plan(withSql, {}).find((x) => x.id === 'rewrite-glance-locations')?.placeholders).toBe(true);
  });

  it('without one: a manual step showing the SQL and a terminal on the controller', () => {
    const steps = plan(paramsWith());
    expect(steps.find((x) => x.id === 'rewrite-glance-locations')?.notApplicable).toMatch(/no SQL command/);
    const m = steps.find((x) => x.id === 'rewrite-glance-locations-manual');
    expect(m?.notApplicable).toBeUndefined();
    expect(m?.manual?.instructions).toContain(UPDATE);
    expect(m?.manual?.terminal?.host).toBe('ctl');
    expect(m?.manual?.terminal?.command).toContain(`'rbd://${DST}/'`);
    expect(steps.find((x) => x.id === 'repoint-cloud')?.manual?.instructions).not.toMatch(/does not change them/);
  });

  it('is skipped when no Glance image has a location in the moved pools, or without OpenStack', () => {
    const none = plan(withSql, { ...facts, glanceImages: [] });
    expect(none.find((x) => x.id === 'rewrite-glance-locations')?.notApplicable).toMatch(/no Glance image/);
    expect(none.find((x) => x.id === 'rewrite-glance-locations-manual')?.notApplicable).toBeDefined();
    const noCloud = migrationParamsSchema.parse({ ...withSql, openstack: undefined });
    expect(plan(noCloud).find((x) => x.id === 'rewrite-glance-locations')?.notApplicable).toMatch(/OpenStack/);
  });

  it('refuses a statement flag that is not a flag', () => {
    expect(() => paramsWith({ sql: SQL_PREFIX, statementFlag: '; rm -rf /' })).toThrow();
  });
});

/** A step context answering the bulk REST inventory and the SQL select from captured-shape outputs. */
function fakeCtx(p: MigrationParams, images: unknown[], sqlRows: string[], f: Record<string, unknown> = facts) {
  const calls: { host: string; argv: string[]; purpose?: string }[] = [];
  const state: Record<string, unknown> = { ...f };
  const ctx = {
    params: p,
    inventory,
    facts: state,
    setFacts: (x: Record<string, unknown>) => Object.assign(state, x),
    run: (host: string, argv: string[], o?: { purpose?: string }) => {
      calls.push({ host, argv, ...(o?.purpose ? { purpose: o.purpose } : {}) });
      if (argv[0] === 'sudo' && argv.includes('glance')) {
        const sql = argv[argv.length - 1] ?? '';
        const stdout = sql.startsWith('SELECT') ? (sqlRows.length ? `image_id\n${sqlRows.join('\n')}\n` : '') : '';
        return Promise.resolve({ exitCode: 0, stdout, stderr: '' });
      }
      const doc = { images, volumes: [], servers: [], stores: [], errors: {} };
      return Promise.resolve({ exitCode: 0, stdout: JSON.stringify(doc), stderr: '' });
    },
  } as unknown as StepContext<MigrationParams>;
  return { ctx, calls, state };
}
const image = (id: string, url: string, status = 'deactivated') => ({
  id,
  name: id.slice(0, 4),
  status,
  disk_format: 'raw',
  stores: 'central',
  direct_url: url,
});
const onSrc = (id: string) => `rbd://${SRC}/images/${id}/snap`;
const onDst = (id: string) => `rbd://${DST}/images/${id}/snap`;
const dcn = `rbd://99999999-aaaa-4bbb-8ccc-dddddddddddd/images/${IMG_DCN}/snap`;

describe('Glance location verification', () => {
  it('passes when every image of the migration names the destination and 0 rows are left (other clusters stay)', async () => {
    const { ctx } = fakeCtx(
      withSql,
      [image(IMG1, onDst(IMG1)), image(IMG2, onDst(IMG2)), image(IMG_DCN, dcn, 'active')],
      [],
    );
    const v = await locationsEvidence(ctx);
    expect(v.ok, v.evidence).toBe(true);
    expect(v.evidence).toContain('Glance DB: 0 location rows');
  });

  it('fails while an image (active or deactivated) still names the source fsid', async () => {
    const { ctx } = fakeCtx(withSql, [image(IMG1, onDst(IMG1)), image(IMG2, onSrc(IMG2), 'active')], [IMG2]);
    const v = await locationsEvidence(ctx);
    expect(v.ok).toBe(false);
    expect(v.evidence).toContain(`still name the source fsid ${SRC}: ${IMG2} (active)`);
    const d = await locationsEvidence(fakeCtx(withSql, [image(IMG1, onSrc(IMG1)), image(IMG2, onDst(IMG2))], []).ctx);
    expect(d.ok).toBe(false);
  });

  it('fails when the DB still has source rows the API does not show (a second location), or an image lost its location', async () => {
    const hidden = await locationsEvidence(
      fakeCtx(withSql, [image(IMG1, onDst(IMG1)), image(IMG2, onDst(IMG2))], [IMG1]).ctx,
    );
    expect(hidden.ok).toBe(false);
    expect(hidden.evidence).toContain('Glance DB: 1 location rows');
    const gone = await locationsEvidence(fakeCtx(withSql, [image(IMG1, onDst(IMG1))], []).ctx);
    expect(gone.ok).toBe(false);
    expect(gone.evidence).toContain(`no location on the destination fsid ${DST}: ${IMG2}`);
  });

  it('verifies through the API alone for the manual step (no SQL command)', async () => {
    const { ctx, calls } = fakeCtx(paramsWith(), [image(IMG1, onDst(IMG1)), image(IMG2, onDst(IMG2))], [IMG1]);
    const v = await locationsEvidence(ctx);
    expect(v.ok, v.evidence).toBe(true);
    expect(calls.every((c) => !c.argv.includes('glance'))).toBe(true);
  });
});

describe('rewrite-glance-locations run', () => {
  const step = glanceLocationSteps.find((s) => s.id === 'rewrite-glance-locations');

  it('counts the rows first, sends exactly the planned UPDATE, and keeps the rollback scope across a re-run', async () => {
    const { ctx, calls, state } = fakeCtx(withSql, [], [IMG1, IMG2, IMG2]);
    const checks = await step?.preconditions?.(ctx);
    expect(checks?.[0]?.evidence).toContain('3 rows (2 images)');
    await step?.execute?.(ctx);
    const exec = calls.filter((c) => c.purpose === undefined);
    expect(exec).toEqual([{ host: 'ctl', argv: [...SQL_PREFIX, '-e', UPDATE] }]);
    // Re-run after a crash past the COMMIT: 0 rows now, the scope of the rollback is not forgotten.
    const again = fakeCtx(withSql, [], [], state);
    await step?.preconditions?.(again.ctx);
    expect(again.state['glanceLocationImages']).toEqual([IMG2, IMG1].sort());
    await step?.rollback?.(again.ctx);
    const rb = again.calls.at(-1)?.argv.at(-1) ?? '';
    expect(rb).toBe(glanceSql.reverse(SRC, DST, ['images', 'vms', 'my_pool'], [IMG2, IMG1].sort()));
  });

  it('fails when the SQL command fails (no silent success)', async () => {
    const ctx = {
      ...fakeCtx(withSql, [], []).ctx,
      run: () => Promise.resolve({ exitCode: 1, stdout: '', stderr: 'ERROR 1045 (28000): Access denied' }),
    } as unknown as StepContext<MigrationParams>;
    await expect(step?.preconditions?.(ctx)).rejects.toThrow(/SQL on Glance's database failed/);
  });
});
