/** The image-distribution wizards (registered in ./index.ts). */
import type { WizardDef } from '../types';
import { imagesActivationWizard } from './images-activation';
import { imagesCopyWizard } from './images-copy';
import { imagesDeleteStoreWizard } from './images-delete-store';
import { imagesImportWizard } from './images-import';

export const imagesWizards: WizardDef<unknown>[] = [
  imagesCopyWizard,
  imagesImportWizard,
  imagesDeleteStoreWizard,
  imagesActivationWizard,
] as unknown as WizardDef<unknown>[];
