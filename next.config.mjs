/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages that must not be bundled (native parts, child processes, workers).
  serverExternalPackages: ['mongodb', 'bullmq', 'ioredis', 'busboy', 'execa', 'mongodb-memory-server', 'pickleparser'],
  devIndicators: false,
};
export default nextConfig;
