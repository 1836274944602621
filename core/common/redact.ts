/**
 * cephx secrets have a fixed shape (base64 of 28 bytes, 40 characters: "AQ" + 36 + "=="). Some read commands print them
 * (`rbd mirror pool info --all` shows each peer's key), so any CLI output that is kept — journal, parse-error
 * snippet, UI — goes through this first.
 */
const CEPHX_KEY = /AQ[A-Za-z0-9+/]{36}==/g;

export function scrubCephKeys(text: string): string {
  return text.replace(CEPHX_KEY, '[redacted cephx key]');
}
