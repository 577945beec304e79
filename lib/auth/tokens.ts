import crypto from 'node:crypto';

/**
 * Secrets we hand out (API keys, share links, invites) are random and stored only as a SHA-256 hash:
 * a database dump gives no usable key. They carry 192-256 bits of randomness, so a fast hash is enough
 * (no salt or slow hash needed, unlike passwords).
 */
export function newToken(bytes = 32, prefix = ''): string {
  return `${prefix}${crypto.randomBytes(bytes).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token is only looked up when it has a plausible shape (no database round trip for junk). */
export function plausibleToken(token: string | null | undefined): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(token);
}
