/** The DR wizards, registered next to the migration runbook (runbooks/index.ts). */
import type { WizardDef } from '../types';
import { failbackWizard } from './dr-failback';
import { plannedFailoverWizard } from './dr-planned-failover';
import { drTestWizard } from './dr-test';
import { unplannedFailoverWizard } from './dr-unplanned-failover';

export const drWizards: WizardDef<unknown>[] = [
  plannedFailoverWizard,
  unplannedFailoverWizard,
  failbackWizard,
  drTestWizard,
].map((w) => w as unknown as WizardDef<unknown>);
