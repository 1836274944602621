import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A per-launch secret: 32 random bytes, base64url (URL- and WebSocket-subprotocol-safe). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time comparison. Both sides are hashed first so that neither the content nor the length of the
 * expected token leaks through timing (timingSafeEqual itself throws on unequal lengths).
 */
export function tokenMatches(expected: string, presented: string | null | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/** Subprotocol carrying the token, so it never appears in a URL the server or a proxy could log. */
export const TOKEN_PROTOCOL_PREFIX = 'switchyard-token.';
export const API_PROTOCOL = 'switchyard.v1';

/** Extracts the token from a `Sec-WebSocket-Protocol` header value. */
export function tokenFromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const p = part.trim();
    if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return null;
}
