export { SshPool, type RunOptions, type ShellOptions, type SshPoolOptions } from './pool';
export {
  KnownHostsStore,
  parseKnownHostsText,
  type HostKeyCheck,
  type ImportResult,
  type ParsedKnownHost,
} from './known-hosts';
export { sha256Fingerprint, keyTypeOfBlob } from './fingerprint';
export type { InventoryProvider, SecretProvider } from './ports';
