/**
 * Headers on every response (pages, API, static files). Pages also get a per-request nonce CSP from
 * proxy.ts; API responses are data, never documents: `default-src 'none'` and `sandbox`.
 * Referrer-Policy is same-origin, not no-referrer: share links carry their token in the URL and must not
 * leak to other sites, but same-origin POSTs must keep their Origin header (no-referrer sends `Origin: null`,
 * which the CSRF check refuses).
 *
 * Read by next.config.mjs (Next.js's router adds them) and by lib/http/direct-routes.ts (the routes the web
 * server calls without the router add them themselves). Plain JavaScript: next.config.mjs cannot import
 * TypeScript.
 */
export const EVERY_RESPONSE = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()' },
];

/** Added to every /api/* (and the original pose service's /pose/*) response. */
export const DATA_RESPONSE = [{ key: 'Content-Security-Policy', value: "default-src 'none'; frame-ancestors 'none'; sandbox" }];
