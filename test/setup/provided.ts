/**
 * Values the global setup (global-services.ts) hands to every test file through vitest's
 * provide/inject. Read them with `inject('mongoUri')` etc.; most tests just use process.env,
 * which env.ts fills from these.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** MONGODB_URI for this test run (embedded mongod, or the one given in the environment) */
    mongoUri: string;
    /** REDIS_URL for this test run */
    redisUrl: string;
    /** true when the harness started the servers itself (then env.ts may empty them between files) */
    servicesEmbedded: boolean;
    /** which mongod route ran ('system' | 'download' | 'wine' | 'external') */
    mongoKind: string;
    /** a temporary folder for the whole run, deleted at the end; per-file folders go inside */
    testTmpRoot: string;
  }
}

export {};
