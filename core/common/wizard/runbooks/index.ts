/** Every wizard the product ships, by id. */
import type { WizardDef } from '../types';
import { cephMigrationWizard } from './ceph-migration';
import { drWizards } from './dr-index';
import { imagesWizards } from './images-index';

// The registry is heterogeneous in P; callers validate params with each wizard's own schema.
export const wizards: WizardDef<unknown>[] = [
  cephMigrationWizard as unknown as WizardDef<unknown>,
  ...drWizards,
  ...imagesWizards,
];

export function findWizard(id: string): WizardDef<unknown> | undefined {
  return wizards.find((w) => w.id === id);
}
