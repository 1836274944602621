/**
 * The one redactor for text that is kept or shown: audit log, wizard journal and live output, parse-error snippets.
 * Some read commands print secrets (`rbd mirror pool info --all` shows each peer's cephx key; `rbd mirror pool peer
 * bootstrap create` prints a token that carries one; openrc dumps carry OS_PASSWORD), so every kept CLI output goes
 * through `redactText` first. Pure: used by core/common (journal, parsers) and core/node (audit log) alike.
 */

/** What replaces a secret value (given values, flags, key=value pairs). */
export const REDACTED = '***';
export const REDACTED_CEPHX = '[redacted cephx key]';
export const REDACTED_TOKEN = '[redacted bootstrap token]';

// cephx secrets: base64 of 28 bytes, always starting "AQ" (type + timestamp header), 40 characters.
const CEPHX_KEY = /AQ[A-Za-z0-9+/]{36}==/g;
// rbd-mirror bootstrap tokens: base64 of {"fsid",...,"key",...} — they carry a cephx secret.
const BOOTSTRAP_TOKEN = /eyJ[A-Za-z0-9+/_-]{20,}={0,2}/g;
// OS_PASSWORD=..., OS_APPLICATION_CREDENTIAL_SECRET=..., OS_TOKEN=... (openrc files, env dumps).
const OS_ENV = /\b(OS_[A-Z_]*(?:PASSWORD|SECRET|TOKEN)[A-Z_]*=)("[^"]*"|'[^']*'|[^\s;]+)/g;
// --password X, --os-password=X, --secret X, --key X (ceph auth), --passphrase X.
const FLAG_VALUE = /(--(?:os-)?(?:password|passphrase|secret|token|key)(?:=|[ \t]+))("[^"]*"|'[^']*'|[^\s]+)/g;
// password: x / "password": "x" / secret = x (clouds.yaml, JSON dumps, ini files).
const KEY_VALUE =
  /((?:^|[\s{,"'])(?:password|passwd|secret|token)["']?[ \t]*[:=][ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s,}]+)/gim;
const SECRET_FLAG = /^--(?:os-)?(?:password|passphrase|secret|token|key)$/;

/**
 * Removes secrets: the given values (vault secrets, per-command redactions) and well-known shapes (cephx keys,
 * bootstrap tokens, OS_PASSWORD=, --password X, password: x).
 * Values shorter than 4 characters are ignored: replacing them would shred ordinary output and protect nothing.
 */
export function redactText(text: string, values: readonly string[] = []): string {
  let out = text;
  for (const v of expandValues(values)) out = out.split(v).join(REDACTED);
  return out
    .replace(CEPHX_KEY, REDACTED_CEPHX)
    .replace(BOOTSTRAP_TOKEN, REDACTED_TOKEN)
    .replace(OS_ENV, `$1${REDACTED}`)
    .replace(FLAG_VALUE, `$1${REDACTED}`)
    .replace(KEY_VALUE, `$1${REDACTED}`);
}

/** Redacts an argv: each element as text, and the element after a bare `--password`-style flag entirely. */
export function redactArgv(argv: readonly string[], values: readonly string[] = []): string[] {
  return argv.map((a, i) => {
    const prev = i > 0 ? argv[i - 1] : undefined;
    if (prev !== undefined && SECRET_FLAG.test(prev)) return REDACTED;
    return redactText(a, values);
  });
}

/** The last `max` characters of `text` after redaction. Redacts a margin before cutting so that a secret
 * straddling the cut cannot leak its second half. */
export function redactedTail(text: string, max: number, values: readonly string[] = []): string {
  const margin = 4096;
  const slice = text.length > max + margin ? text.slice(-(max + margin)) : text;
  const red = redactText(slice, values);
  return red.length > max ? red.slice(-max) : red;
}

function expandValues(values: readonly string[]): string[] {
  const set = new Set<string>();
  for (const v of values) {
    if (v.length >= 4) set.add(v);
    // Multi-line secrets (private keys) may show up one line at a time.
    if (v.includes('\n')) for (const line of v.split('\n')) if (line.trim().length >= 16) set.add(line.trim());
  }
  return [...set].sort((a, b) => b.length - a.length);
}
