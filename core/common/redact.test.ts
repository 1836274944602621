import { describe, expect, it } from 'vitest';
import { snippetOf } from './parsers/result';
import { scrubCephKeys } from './redact';

const key = `AQ${'B'.repeat(38)}==`;

describe('scrubCephKeys', () => {
  it('removes cephx keys from CLI output and from parse-error snippets', () => {
    const out = `{"peers":[{"site_name":"site-b","key":"${key}","mon_host":"10.0.0.1"}]`;
    expect(scrubCephKeys(out)).not.toContain(key);
    expect(snippetOf(out)).not.toContain(key);
    expect(snippetOf(out)).toContain('[redacted cephx key]');
  });
});
