import { getConfig } from '../config';

/**
 * Our own origin for a request: PUBLIC_URL when set (behind a reverse proxy), else the scheme and the
 * Host header the browser addressed (X-Forwarded-Proto may say https when a TLS proxy is in front).
 * Not request.url's host: Next builds that from the host name it listens on, so a coach who opens
 * http://192.168.1.10:3000 from a phone would otherwise be refused as a foreign origin. The Host header
 * is safe for the CSRF check: a browser always sends the address it connects to, which a foreign page
 * cannot change. Used for cookie security (Secure behind HTTPS), the CSRF check and the links we hand out.
 */
export function requestOrigin(request: Request): string {
  const configured = getConfig().publicUrl;
  if (configured) return configured;
  const url = new URL(request.url);
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const proto = forwarded === 'https' || forwarded === 'http' ? forwarded : url.protocol.replace(':', '');
  const host = request.headers.get('host')?.trim();
  return `${proto}://${host && /^[A-Za-z0-9.\-\[\]:]{1,300}$/.test(host) ? host.toLowerCase() : url.host}`;
}

/**
 * CSRF check for a state change authenticated by cookie: the browser's Origin header (or, when a
 * browser omits it, the Referer) must be our own origin. A request with neither is refused too:
 * every browser that sends cookies on a cross-site POST also sends Origin.
 */
export function fromOwnOrigin(request: Request): boolean {
  const own = requestOrigin(request);
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null') return origin === own;
  const referer = request.headers.get('referer');
  if (!referer) return false;
  try {
    return new URL(referer).origin === own;
  } catch {
    return false;
  }
}

/** The caller's address for per-address limits: the first X-Forwarded-For entry (Next sets it from the socket when absent). */
export function clientAddress(request: Request): string {
  const xff = request.headers.get('x-forwarded-for');
  const first = xff?.split(',')[0]?.trim();
  return first || request.headers.get('x-real-ip')?.trim() || 'unknown';
}
