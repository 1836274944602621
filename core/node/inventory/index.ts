export { InventoryStore, EMPTY_INVENTORY } from './inventory-store';
export { importSshConfig } from './import-ssh-config';
export { importCloudsYaml } from './import-clouds';
