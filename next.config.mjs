import { DATA_RESPONSE, EVERY_RESPONSE } from './lib/http/security-headers.mjs';

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
      // lib/http/security-headers.mjs says what they are and why
      { source: '/:path*', headers: EVERY_RESPONSE },
      { source: '/api/:path*', headers: DATA_RESPONSE },
      // the original pose service's routes (/pose/video, /pose/hybrid) answer JSON like the API
      { source: '/pose/:path*', headers: DATA_RESPONSE },
    ];
  },
};
export default nextConfig;
