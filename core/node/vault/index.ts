export { Vault, type AddSecretInput, type Secret, type VaultOptions } from './vault';
export type { VaultKeyStore } from './key-store';
export { inspectPrivateKey, type SshKeyInfo } from './ssh-key';
