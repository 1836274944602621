import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { snippetOf } from './parsers/result';
import { redactText } from './redact';

// A fresh key of the real shape (type 1, 28 bytes) each run: no key-like literal in the repo.
const key = Buffer.concat([Buffer.from([1, 0]), randomBytes(26)]).toString('base64');

describe('redactText', () => {
  it('removes cephx keys from CLI output and from parse-error snippets', () => {
    const out = `{"peers":[{"site_name":"site-b","key":"${key}","mon_host":"10.0.0.1"}]`;
    expect(redactText(out)).not.toContain(key);
    expect(snippetOf(out)).not.toContain(key);
    expect(snippetOf(out)).toContain('[redacted cephx key]');
  });
  it('removes bootstrap tokens and OpenStack passwords from wizard output, keeps the JSON around them', () => {
    const token = Buffer.from(JSON.stringify({ fsid: 'f', client_id: 'rbd-mirror-peer', key })).toString('base64');
    const out = redactText(`${token}\nexport OS_PASSWORD=hunter2hunter\n{"name":"vm0"}`);
    expect(out).not.toContain(token);
    expect(out).not.toContain('hunter2hunter');
    expect(out).toContain('[redacted bootstrap token]');
    expect(out).toContain('{"name":"vm0"}');
  });
});
