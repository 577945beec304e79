import { getConfig } from '../config';

/**
 * Our own origin for a request: PUBLIC_URL when set (behind a reverse proxy), else the request's own
 * scheme and host (X-Forwarded-Proto may say https when a TLS proxy is in front). Used for cookie
 * security (Secure behind HTTPS), the CSRF origin check and the links we hand out.
 */
export function requestOrigin(request: Request): string {
  const configured = getConfig().publicUrl;
  if (configured) return configured;
  const url = new URL(request.url);
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const proto = forwarded === 'https' || forwarded === 'http' ? forwarded : url.protocol.replace(':', '');
  return `${proto}://${url.host}`;
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
