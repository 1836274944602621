import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { ApiErrorException } from '../../common/contract/define';
import { sha256Fingerprint } from '../ssh/fingerprint';

const { utils } = ssh2;

export interface SshKeyInfo {
  fingerprint: string;
  type: string;
  /** True when the private key itself is passphrase-protected. */
  encrypted: boolean;
}

function parseOne(value: string, passphrase?: string): ParsedKey | Error {
  const r = utils.parseKey(value, passphrase) as ParsedKey | ParsedKey[] | Error;
  if (Array.isArray(r)) return r[0] ?? new Error('no key found');
  return r;
}

/**
 * Checks that `value` is a private key ssh2 can use (with `passphrase` if it is encrypted) and returns the
 * fingerprint of its public half. The error never repeats the key or passphrase.
 */
export function inspectPrivateKey(value: string, passphrase?: string): SshKeyInfo {
  const parsed = parseOne(value, passphrase === '' ? undefined : passphrase);
  if (parsed instanceof Error) {
    const needsPass = /passphrase|encrypted/i.test(parsed.message);
    throw new ApiErrorException(
      'invalid-argument',
      needsPass
        ? 'the private key is encrypted: its passphrase is missing or wrong'
        : `not a usable private key: ${parsed.message}`,
    );
  }
  if (!parsed.isPrivateKey())
    throw new ApiErrorException('invalid-argument', 'this is a public key; the vault needs the private key');
  const plain = parseOne(value);
  return {
    fingerprint: sha256Fingerprint(parsed.getPublicSSH()),
    type: parsed.type,
    encrypted: plain instanceof Error,
  };
}
