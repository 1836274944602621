import { createHash } from 'node:crypto';

/** `SHA256:<base64 without padding>` of a raw SSH public key blob, exactly as `ssh-keygen -lf` prints it. */
export function sha256Fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string), e.g. `ssh-ed25519`. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('public key blob too short');
  const len = blob.readUInt32BE(0);
  if (len < 1 || len > 64 || 4 + len > blob.length) throw new Error('public key blob has no valid type');
  return blob.subarray(4, 4 + len).toString('latin1');
}
