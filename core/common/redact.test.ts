import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { snippetOf } from './parsers/result';
import { scrubCephKeys } from './redact';

// A fresh key of the real shape (type 1, 28 bytes) each run: no key-like literal in the repo.
const key = Buffer.concat([Buffer.from([1, 0]), randomBytes(26)]).toString('base64');

describe('scrubCephKeys', () => {
  it('removes cephx keys from CLI output and from parse-error snippets', () => {
    const out = `{"peers":[{"site_name":"site-b","key":"${key}","mon_host":"10.0.0.1"}]`;
    expect(scrubCephKeys(out)).not.toContain(key);
    expect(snippetOf(out)).not.toContain(key);
    expect(snippetOf(out)).toContain('[redacted cephx key]');
  });
});
