import { describe, expect, it } from 'vitest';
import { API_PROTOCOL, generateToken, tokenFromProtocols, tokenMatches, TOKEN_PROTOCOL_PREFIX } from './token';

describe('token', () => {
  it('is fresh, long and URL/subprotocol safe', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches only the exact token', () => {
    const t = generateToken();
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(t, t.slice(0, -1))).toBe(false);
    expect(tokenMatches(t, `${t}x`)).toBe(false);
    expect(tokenMatches(t, '')).toBe(false);
    expect(tokenMatches(t, null)).toBe(false);
    expect(tokenMatches(t, undefined)).toBe(false);
    expect(tokenMatches(t, 'x'.repeat(10_000))).toBe(false);
  });

  it('reads the token from the subprotocol list', () => {
    expect(tokenFromProtocols(`${API_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}abc`)).toBe('abc');
    expect(tokenFromProtocols(API_PROTOCOL)).toBeNull();
    expect(tokenFromProtocols(undefined)).toBeNull();
  });
});
