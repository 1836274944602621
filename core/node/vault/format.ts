import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { z } from 'zod';

/**
 * Vault file format, version 1 (JSON):
 *
 *   { format: 'switchyard-vault', version: 1,
 *     kdf:  { name: 'scrypt', N, r, p, salt },          -- derives the passphrase key (KEK)
 *     wrap: { iv, tag, key },                            -- the random 32-byte data key under the KEK
 *     data: { iv, tag, ciphertext } }                    -- the entries (JSON) under the data key
 *
 * AES-256-GCM everywhere. The wrap's AAD is the canonical header including kdf, so a changed kdf parameter or
 * salt fails authentication; the data's AAD is format+version only, so a passphrase change rewrites `kdf` and
 * `wrap` and leaves `data` byte-identical.
 */
export const VAULT_FORMAT = 'switchyard-vault';
export const VAULT_VERSION = 1;
export const KDF_DEFAULTS = { N: 2 ** 17, r: 8, p: 1 } as const;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
export const vaultFileSchema = z.object({
  format: z.literal(VAULT_FORMAT),
  version: z.literal(VAULT_VERSION),
  kdf: z.object({
    name: z.literal('scrypt'),
    // Bounds stop a tampered header from making us allocate gigabytes before authentication fails.
    N: z
      .number()
      .int()
      .min(2 ** 14)
      .max(2 ** 20),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: b64,
  }),
  wrap: z.object({ iv: b64, tag: b64, key: b64 }),
  data: z.object({ iv: b64, tag: b64, ciphertext: b64 }),
});
export type VaultFile = z.infer<typeof vaultFileSchema>;
export type KdfParams = VaultFile['kdf'];

export const entrySchema = z.object({
  id: z.string(),
  kind: z.enum(['ssh-key', 'password', 'cloud-password']),
  label: z.string(),
  createdAt: z.string(),
  fingerprint: z.string().optional(),
  encryptedKey: z.boolean().optional(),
  value: z.string(),
  keyPassphrase: z.string().optional(),
});
export type VaultEntry = z.infer<typeof entrySchema>;
export const payloadSchema = z.object({ entries: z.array(entrySchema) });

/** scrypt of the passphrase. maxmem must exceed 128*N*r (128 MiB at N=2^17, r=8); node's default is 32 MiB. */
export function deriveKek(passphrase: string, kdf: KdfParams): Promise<Buffer> {
  const maxmem = 128 * kdf.N * kdf.r * 2;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.from(kdf.salt, 'base64'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem },
      (err, key) => {
        if (err) reject(err);
        else resolve(key);
      },
    );
  });
}

export function newKdfParams(): KdfParams {
  return { name: 'scrypt', ...KDF_DEFAULTS, salt: randomBytes(16).toString('base64') };
}

function wrapAad(kdf: KdfParams): Buffer {
  return Buffer.from(
    JSON.stringify({
      format: VAULT_FORMAT,
      version: VAULT_VERSION,
      part: 'wrap',
      kdf: { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt },
    }),
  );
}
const DATA_AAD = Buffer.from(JSON.stringify({ format: VAULT_FORMAT, version: VAULT_VERSION, part: 'data' }));

function seal(key: Buffer, plain: Buffer, aad: Buffer): { iv: string; tag: string; ct: string } {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

/** Throws (node's "unable to authenticate data") when the key is wrong or anything was altered. */
function open(key: Buffer, box: { iv: string; tag: string; ct: string }, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
  d.setAAD(aad);
  d.setAuthTag(Buffer.from(box.tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(box.ct, 'base64')), d.final()]);
}

export function wrapDataKey(kek: Buffer, dataKey: Buffer, kdf: KdfParams): VaultFile['wrap'] {
  const s = seal(kek, dataKey, wrapAad(kdf));
  return { iv: s.iv, tag: s.tag, key: s.ct };
}

export function unwrapDataKey(kek: Buffer, file: VaultFile): Buffer {
  return open(kek, { iv: file.wrap.iv, tag: file.wrap.tag, ct: file.wrap.key }, wrapAad(file.kdf));
}

export function sealEntries(dataKey: Buffer, entries: VaultEntry[]): VaultFile['data'] {
  const s = seal(dataKey, Buffer.from(JSON.stringify({ entries })), DATA_AAD);
  return { iv: s.iv, tag: s.tag, ciphertext: s.ct };
}

export function openEntries(dataKey: Buffer, file: VaultFile): VaultEntry[] {
  const plain = open(dataKey, { iv: file.data.iv, tag: file.data.tag, ct: file.data.ciphertext }, DATA_AAD);
  return payloadSchema.parse(JSON.parse(plain.toString('utf8'))).entries;
}

export function serializeVault(file: VaultFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
