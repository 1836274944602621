import { describe, expect, it } from 'vitest';
import { displayArgv, quoteArg, quoteArgv, QuoteError } from './quote';

/** A tiny POSIX-sh single-quote reader, enough to prove round-trips without a shell. */
function unquote(line: string, bare = /$^/): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new Error('unterminated');
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (line[i] === '\\') {
        word += line[i + 1] ?? '';
        i += 2;
      } else if (bare.test(line[i] ?? '')) {
        word += line[i];
        i++;
      } else {
        throw new Error(`unquoted character ${line[i]} at ${i}`);
      }
    }
    out.push(word);
  }
  return out;
}

const hostile = [
  '$(touch /tmp/x)',
  '`id`',
  'a;b',
  'a|b',
  'line1\nline2',
  `"double"`,
  "it's",
  '-rf',
  '',
  'ünïcødé ☃',
  '  spaces  ',
  '*',
  '$HOME',
  '\\',
];

describe('quoteArgv', () => {
  it('round-trips hostile elements byte for byte', () => {
    expect(unquote(quoteArgv(hostile))).toEqual(hostile);
  });
  it('leaves no character outside quotes except escaped single quotes', () => {
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArg('')).toBe("''");
  });
  it('rejects NUL and empty argv', () => {
    expect(() => quoteArgv(['a\0b'])).toThrow(QuoteError);
    expect(() => quoteArgv([])).toThrow(QuoteError);
  });
});

describe('displayArgv', () => {
  it('leaves plain words bare and quotes the rest exactly as quoteArg does', () => {
    expect(displayArgv(['rbd', '-c', '/etc/ceph/a.conf', 'mirror', 'pool', 'promote', 'images'])).toBe(
      'rbd -c /etc/ceph/a.conf mirror pool promote images',
    );
    expect(displayArgv(['openstack', 'server', 'stop', '$(touch /tmp/x)'])).toBe(
      "openstack server stop '$(touch /tmp/x)'",
    );
    const line = displayArgv(['sudo', 'env', 'A=1', ...hostile]);
    expect(unquote(line, /[A-Za-z0-9_@%+=:,./-]/)).toEqual(['sudo', 'env', 'A=1', ...hostile]);
  });
  it('quotes an assignment-looking first word (it would not be the command otherwise)', () => {
    expect(displayArgv(['A=1', 'x'])).toBe("'A=1' x");
  });
});
