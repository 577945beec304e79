import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // one real mongod + redis-server for the whole run (test/setup/global-services.ts), and per-file
    // MONGODB_URI / REDIS_URL / DATA_DIR set before each test file loads (test/setup/env.ts)
    globalSetup: ['test/setup/global-services.ts'],
    setupFiles: ['test/setup/env.ts'],
  },
});
