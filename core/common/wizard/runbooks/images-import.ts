/**
 * Import a new image into several stores at once: create, stage the file (it lives on the controller host, e.g.
 * uploaded there with scp), then ONE glance-direct import naming every store with `all_stores_must_succeed`
 * explicit. The file's header is read first: a qcow2 file declared raw would give clones that do not boot
 * (operator-pitfalls.md 10), so the wizard refuses it before Glance sees it.
 */
import { z } from 'zod';
import { defineWizard } from '../define';
import { StepFailedError } from '../errors';
import type { PlanContext, StepContext } from '../types';
import { detectFormat } from '../../images/format';
import {
  checkRbdCopies,
  controllerOf,
  controllerParam,
  glance,
  glanceCommand,
  pollImages,
  showImages,
  storeList,
} from './images-shared';

export const imagesImportParams = z.object({
  controller: controllerParam,
  name: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^\n\0]+$/),
  diskFormat: z.enum(['raw', 'qcow2', 'vmdk', 'vhdx', 'vdi', 'iso']),
  containerFormat: z.enum(['bare', 'ovf', 'ova']).default('bare'),
  /** Absolute path of the image file on the controller host. */
  sourcePath: z.string().regex(/^\/[^\0\n]*$/, 'absolute path on the controller'),
  stores: storeList,
  allStoresMustSucceed: z.boolean(),
  pollSec: z.number().min(0.2).max(60).default(2),
  timeoutSec: z
    .number()
    .int()
    .min(10)
    .max(24 * 3600)
    .default(3600),
});
export type ImagesImportParams = z.infer<typeof imagesImportParams>;
type C = StepContext<ImagesImportParams>;
interface ImportFacts {
  imageId?: string;
  sourceBytes?: number;
  detected?: string;
}
const factsOf = (c: PlanContext<ImagesImportParams>): ImportFacts => c.facts as ImportFacts;

const HEAD_SCRIPT =
  'import json,os,sys\np=sys.argv[1]\nwith open(p,"rb") as f: h=f.read(512)\nprint(json.dumps({"size": os.path.getsize(p), "head": h.hex()}))';
const headArgv = (c: PlanContext<ImagesImportParams>): { host: string; argv: string[] } => ({
  host: controllerOf(c.inventory, c.params.controller).host,
  argv: ['python3', '-c', HEAD_SCRIPT, c.params.sourcePath],
});

async function waitImported(ctx: C, id: string): Promise<void> {
  const deadline = ctx.clock.now() + ctx.params.timeoutSec * 1000;
  let misses = 0;
  for (;;) {
    const all = await pollImages(ctx, [id]);
    if (!all) {
      if (++misses >= 20) throw new StepFailedError('Glance did not answer 20 polls in a row');
      if (ctx.clock.now() > deadline) throw new StepFailedError(`import not finished after ${ctx.params.timeoutSec} s`);
      await ctx.clock.sleep(ctx.params.pollSec * 1000, ctx.signal);
      continue;
    }
    misses = 0;
    const st = all[id];
    const g = st?.image;
    if (!g) throw new StepFailedError(`image ${id} disappeared during import`, st?.error ?? '');
    const done = ctx.params.stores.filter((s) => g.stores.includes(s));
    const failed = ctx.params.stores.filter(
      (s) => g.failedImportStores.includes(s) && !g.importingToStores.includes(s),
    );
    ctx.progress({
      done: done.length + failed.length,
      total: ctx.params.stores.length,
      message: `status ${g.status ?? '?'}; in ${done.join(', ') || 'no store yet'}${failed.length ? `; failed ${failed.join(', ')}` : ''}; ${st.tasks[0]?.message ?? ''}`,
    });
    if (done.length + failed.length === ctx.params.stores.length && g.status === 'active') {
      if (failed.length > 0)
        throw new StepFailedError(`import failed for ${failed.join(', ')}`, st.tasks[0]?.message ?? '');
      return;
    }
    if (
      g.status === 'killed' ||
      g.status === 'deleted' ||
      (g.status === 'queued' && st.tasks[0]?.status === 'failure')
    ) {
      throw new StepFailedError(`import ended with image ${g.status ?? '?'}`, st.tasks[0]?.message ?? '');
    }
    if (ctx.clock.now() > deadline)
      throw new StepFailedError(`import not finished after ${ctx.params.timeoutSec} s`, `status ${g.status ?? '?'}`);
    await ctx.clock.sleep(ctx.params.pollSec * 1000, ctx.signal);
  }
}

export const imagesImportWizard = defineWizard<ImagesImportParams>({
  id: 'images-import',
  title: 'Import a new image into several stores',
  description:
    "Checks the file header against the declared format, creates the image, stages the file from the controller and imports it with glance-direct into every selected store at once (all_stores_must_succeed explicit), then checks each store's cluster.",
  params: imagesImportParams as unknown as z.ZodType<ImagesImportParams>,
  phases: ['Preflight', 'Import'],
  steps: [
    {
      id: 'preflight',
      title: 'Check the file, the stores and glance-direct',
      phase: 'Preflight',
      risk: 'read',
      plan: (c) => [headArgv(c), glanceCommand(c, { op: 'info' })],
      execute: async (ctx) => {
        const h = headArgv(ctx);
        const r = await ctx.run(h.host, h.argv, { purpose: 'discover' });
        if (r.exitCode !== 0)
          throw new StepFailedError(`cannot read ${ctx.params.sourcePath} on ${h.host}`, r.stderr.slice(-1000));
        const doc = JSON.parse(r.stdout) as { size: number; head: string };
        const detected = detectFormat(doc.head);
        const bad: string[] = [];
        if (ctx.params.diskFormat === 'raw' && detected !== 'raw')
          bad.push(
            `declared raw but the file is ${detected}: clones of it would not boot (convert it with qemu-img convert -O raw, or declare ${detected})`,
          );
        if (
          ctx.params.diskFormat !== 'raw' &&
          ['qcow2', 'vmdk', 'vhdx', 'vdi'].includes(ctx.params.diskFormat) &&
          detected !== ctx.params.diskFormat
        )
          bad.push(`declared ${ctx.params.diskFormat} but the file looks ${detected}`);
        const info = await glance(ctx, { op: 'info' }, { purpose: 'discover' });
        const res = (info.result ?? {}) as {
          stores?: { id?: string }[];
          import?: { 'import-methods'?: { value?: string[] } };
        };
        const known = new Set((res.stores ?? []).map((s) => s.id));
        if (!(res.import?.['import-methods']?.value ?? []).includes('glance-direct'))
          bad.push('glance-direct is not an enabled import method');
        for (const s of ctx.params.stores) if (!known.has(s)) bad.push(`store ${s} is not configured in Glance`);
        if (bad.length > 0) throw new StepFailedError('preflight failed', bad.join('\n'));
        ctx.setFacts({ sourceBytes: doc.size, detected });
      },
      verify: async (ctx) => ({
        ok: factsOf(ctx).sourceBytes !== undefined,
        evidence: `${factsOf(ctx).sourceBytes ?? '?'} bytes, data looks ${factsOf(ctx).detected ?? '?'}`,
      }),
    },
    {
      id: 'import',
      title: 'Create, stage and import into every store',
      phase: 'Import',
      risk: 'change',
      plan: (c) => [
        {
          ...glanceCommand(c, {
            op: 'create-import',
            name: c.params.name,
            diskFormat: c.params.diskFormat,
            containerFormat: c.params.containerFormat,
            sourcePath: c.params.sourcePath,
            stores: c.params.stores,
            allStoresMustSucceed: c.params.allStoresMustSucceed,
          }),
          note: `POST /v2/images, PUT …/stage, POST …/import glance-direct stores=${c.params.stores.join(',')} all_stores_must_succeed=${String(c.params.allStoresMustSucceed)}`,
        },
      ],
      execute: async (ctx) => {
        let id = factsOf(ctx).imageId;
        if (!id) {
          const p = ctx.params;
          const r = await glance(
            ctx,
            {
              op: 'create-import',
              name: p.name,
              diskFormat: p.diskFormat,
              containerFormat: p.containerFormat,
              sourcePath: p.sourcePath,
              stores: p.stores,
              allStoresMustSucceed: p.allStoresMustSucceed,
            },
            { purpose: 'execute' },
          );
          const created = (r.result as { id?: string } | undefined)?.id;
          if (created) ctx.setFacts({ imageId: created });
          if (!r.ok) throw new StepFailedError(`import refused: HTTP ${r.status ?? '?'}`, r.error ?? '');
          if (!created) throw new StepFailedError('Glance returned no image id');
          id = created;
        }
        await waitImported(ctx, id);
      },
      verify: async (ctx) => {
        const id = factsOf(ctx).imageId;
        if (!id) return { ok: false, evidence: 'no image was created' };
        const g = (await showImages(ctx, [id], 'verify'))[id]?.image;
        const missing = ctx.params.stores.filter((s) => !g?.stores.includes(s));
        const rbd = await checkRbdCopies(
          ctx,
          ctx.inventory,
          ctx.params.stores.map((store) => ({ id, store })),
        );
        return {
          ok: g?.status === 'active' && missing.length === 0 && rbd.ok,
          evidence: `image ${id} ${g?.status ?? '?'} in ${g?.stores.join(', ') ?? 'none'}${missing.length ? `; missing ${missing.join(', ')}` : ''}\n${rbd.lines.join('\n')}`,
          facts: { imageId: id },
        };
      },
    },
  ],
});
