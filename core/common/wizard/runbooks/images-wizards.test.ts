import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planWizard } from '../define';
import { TWO_SITE_INVENTORY } from '../../topology/fixtures.test-support';
import { parseShowResult } from '../../images/glance-ops';
import { imagesCopyParams, imagesCopyWizard, settle } from './images-copy';
import { imagesDeleteStoreParams, imagesDeleteStoreWizard } from './images-delete-store';
import { imagesImportParams } from './images-import';
import { findWizard } from './index';

const OSZ = join(__dirname, '..', '..', 'parsers', 'fixtures', 'openstack-zed');
const f = (n: string): unknown => JSON.parse(readFileSync(join(OSZ, n), 'utf8'));
const ID = 'be65f4c7-588d-4b5f-8867-31a651b28dab';
const show = (image: unknown, tasks: unknown) => {
  const st = parseShowResult({ ok: true, result: { [ID]: { image, tasks, status: 200 } } })[ID];
  if (!st) throw new Error('no state');
  return st;
};

describe('image wizards', () => {
  it('registered; all_stores_must_succeed is required and travels in every copy command', () => {
    expect(
      ['images-copy', 'images-import', 'images-delete-store', 'images-activation'].map((id) => findWizard(id)?.id),
    ).toEqual(['images-copy', 'images-import', 'images-delete-store', 'images-activation']);
    expect(imagesCopyParams.safeParse({ images: [ID], stores: ['dcn1'] }).success).toBe(false);
    expect(
      imagesImportParams.safeParse({ name: 'x', diskFormat: 'raw', sourcePath: '/tmp/x', stores: ['central'] }).success,
    ).toBe(false);
    const p = imagesCopyParams.parse({ images: [ID], stores: ['dcn0', 'dcn1'], allStoresMustSucceed: false });
    const steps = planWizard(imagesCopyWizard, p, TWO_SITE_INVENTORY, { todo: { [ID]: ['dcn1'] } });
    const copy = steps.find((s) => s.id === 'copy');
    expect(copy?.commands).toHaveLength(1);
    expect(JSON.parse(copy?.commands[0]?.argv.at(-1) ?? '')).toEqual({
      op: 'copy',
      id: ID,
      stores: ['dcn1'],
      allStoresMustSucceed: false,
    });
    expect(copy?.commands[0]?.note).toContain('all_stores_must_succeed=false');
  });

  it('settle: empty importing list right after the 202 is pending, not done; only a new task can fail a store', () => {
    const img = f('glance-api-image-get-copy-in-progress.json') as Record<string, unknown>;
    const tasks = f('glance-image-tasks.json') as { tasks: { id: string }[] };
    const known = new Set(tasks.tasks.map((t) => t.id));
    expect(settle(show(img, tasks), 'dcn1', known)).toBe('pending');
    expect(settle(show({ ...img, os_glance_importing_to_stores: '' }, tasks), 'dcn1', known)).toBe('pending');
    expect(
      settle(show({ ...img, os_glance_importing_to_stores: '', stores: 'central,dcn0,dcn1' }, tasks), 'dcn1', known),
    ).toBe('done');
    // Our task ended, Glance lists the store as failed → failed; an OLD failure alone does not count.
    const failedImg = { ...img, os_glance_importing_to_stores: '', os_glance_failed_import: 'dcn1' };
    expect(settle(show(failedImg, tasks), 'dcn1', known)).toBe('pending');
    expect(settle(show(failedImg, tasks), 'dcn1', new Set())).toBe('failed');
  });

  it('delete from a store is destructive with the store name typed, and checks clones first', () => {
    const p = imagesDeleteStoreParams.parse({ image: ID, store: 'dcn0' });
    const steps = planWizard(imagesDeleteStoreWizard, p, TWO_SITE_INVENTORY);
    expect(steps[0]?.commands.map((c) => c.argv.join(' ')).join('\n')).toContain(`children --all images/${ID}@snap`);
    expect(steps[1]).toMatchObject({ risk: 'destructive', confirmation: { expected: 'dcn0' } });
  });
});
