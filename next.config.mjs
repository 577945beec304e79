/**
 * Headers on every response (pages, API, static files). Pages also get a per-request nonce CSP from
 * proxy.ts; API responses are data, never documents: `default-src 'none'` and `sandbox`.
 * Referrer-Policy is same-origin, not no-referrer: share links carry their token in the URL and must not
 * leak to other sites, but same-origin POSTs must keep their Origin header (no-referrer sends `Origin: null`,
 * which the CSRF check refuses).
 */
const everyResponse = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()' },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages that must not be bundled (native parts, child processes, workers).
  serverExternalPackages: ['mongodb', 'bullmq', 'ioredis', 'busboy', 'execa', 'mongodb-memory-server', 'pickleparser'],
  devIndicators: false,
  poweredByHeader: false,
  // scripts/start.ts sets this for a production install (no devDependencies, so the tests' files cannot be
  // type-checked); `npm test` type-checks everything
  typescript: { ignoreBuildErrors: process.env.NEXT_SKIP_TYPECHECK === '1' },
  async headers() {
    return [
      { source: '/:path*', headers: everyResponse },
      { source: '/api/:path*', headers: [{ key: 'Content-Security-Policy', value: "default-src 'none'; frame-ancestors 'none'; sandbox" }] },
      // the original pose service's routes (/pose/video, /pose/hybrid) answer JSON like the API
      { source: '/pose/:path*', headers: [{ key: 'Content-Security-Policy', value: "default-src 'none'; frame-ancestors 'none'; sandbox" }] },
    ];
  },
};
export default nextConfig;
