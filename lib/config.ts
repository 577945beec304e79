import os from 'node:os';
import path from 'node:path';

/**
 * Configuration from the environment (names in ARCHITECTURE.md), validated once.
 * Every bad value gives one clear message; all of them are reported together.
 */
export interface Config {
  /** unset: the embedded server started by `npm start` / the tests */
  mongodbUri: string | null;
  redisUrl: string | null;
  dataDir: string; // absolute
  /** where blobs live (lib/storage): files under DATA_DIR, or MongoDB GridFS (then workers/web apps share nothing else) */
  storage: 'disk' | 'gridfs';
  /** bearer token guarding /api/metrics and the workers' metrics port; unset: open */
  metricsToken: string | null;
  /** port of a worker's /metrics; unset: none served; 0: any free port */
  workerMetricsPort: number | null;
  port: number;
  phalpDir: string | null;
  phalpPython: string;
  poseRunner: 'auto' | 'phalp' | 'cpu';
  /** how a PHALP worker runs PHALP: a warm service (models loaded once), one track.py per job, or auto (service, else spawn) */
  phalpMode: 'auto' | 'service' | 'spawn';
  /** warm PHALP service: ms without new output in a job before it counts as hung */
  phalpStallMs: number;
  /** the only folder POST /pose/video may read videos from (absolute, symlinks resolved at use); null: refused */
  importDir: string | null;
  poseFallback: 'cpu' | null;
  poseTimeoutMs: number;
  workerConcurrency: number;
  maxUploadBytes: number;
  framesTtlDays: number | null;
  smplModelPath: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** who may create an account once the first (admin) account exists */
  signup: 'open' | 'invite' | 'closed';
  /** the address people use (https://coach.example.org); unset: taken from each request */
  publicUrl: string | null;
  /** BETTER_AUTH_SECRET (or AUTH_SECRET); unset: generated once and kept in DATA_DIR/auth-secret */
  authSecret: string | null;
  /** bytes of uploaded video one account may keep; 0 = no quota */
  maxStorageBytesPerAccount: number;
  /** attempts per window (see lib/auth/limits.ts); 0 switches a limit off */
  rateLimits: {
    signInPerAccount: number;
    signInPerAddress: number;
    signUpPerAddress: number;
    uploadsPerAccount: number;
    exportsPerAccount: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string): string | null => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? null : v.trim();
  };
  const int = (name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = str(name);
    if (v === null) return def;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}=${JSON.stringify(v)}: expected a whole number from ${min} to ${max}`);
      return def;
    }
    return Number(v);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], def: T): T => {
    const v = str(name);
    if (v === null) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      problems.push(`${name}=${JSON.stringify(v)}: expected one of ${allowed.join(', ')}`);
      return def;
    }
    return v as T;
  };
  const url = (name: string, schemes: string[]): string | null => {
    const v = str(name);
    if (v === null) return null;
    if (!schemes.some((s) => v.startsWith(`${s}://`))) {
      problems.push(`${name}=${JSON.stringify(v)}: expected a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`);
      return null;
    }
    return v;
  };
  const home = env.HOME || os.homedir();
  const expandHome = (p: string) => (p.startsWith('~/') ? path.join(home, p.slice(2)) : p);

  const fallback = str('POSE_FALLBACK');
  if (fallback !== null && fallback !== 'cpu') problems.push(`POSE_FALLBACK=${JSON.stringify(fallback)}: expected 'cpu' or unset`);
  const ttl = str('FRAMES_TTL_DAYS');

  const config: Config = {
    mongodbUri: url('MONGODB_URI', ['mongodb', 'mongodb+srv']),
    redisUrl: url('REDIS_URL', ['redis', 'rediss']),
    dataDir: path.resolve(expandHome(str('DATA_DIR') ?? './data')),
    storage: oneOf('STORAGE', ['disk', 'gridfs'] as const, 'disk'),
    metricsToken: str('METRICS_TOKEN'),
    workerMetricsPort: str('WORKER_METRICS_PORT') === null ? null : int('WORKER_METRICS_PORT', 0, 0, 65535),
    port: int('PORT', 3000, 1, 65535),
    phalpDir: str('PHALP_DIR') ? path.resolve(expandHome(str('PHALP_DIR')!)) : null,
    phalpPython: str('PHALP_PYTHON') ?? 'python',
    poseRunner: oneOf('POSE_RUNNER', ['auto', 'phalp', 'cpu'] as const, 'auto'),
    phalpMode: oneOf('PHALP_MODE', ['auto', 'service', 'spawn'] as const, 'auto'),
    phalpStallMs: int('PHALP_STALL_MS', 300_000, 1000),
    importDir: str('IMPORT_DIR') ? path.resolve(expandHome(str('IMPORT_DIR')!)) : null,
    poseFallback: fallback === 'cpu' ? 'cpu' : null,
    poseTimeoutMs: int('POSE_TIMEOUT_MS', 180_000, 1000),
    workerConcurrency: int('WORKER_CONCURRENCY', 1, 1, 64),
    maxUploadBytes: int('MAX_UPLOAD_BYTES', 2 * 1024 ** 3, 1),
    framesTtlDays: ttl === null ? null : int('FRAMES_TTL_DAYS', 0, 1, 3650),
    smplModelPath: path.resolve(expandHome(str('SMPL_MODEL_PATH') ?? '~/.cache/phalp/3D/models/smpl/SMPL_NEUTRAL.pkl')),
    logLevel: oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    signup: oneOf('SIGNUP', ['open', 'invite', 'closed'] as const, 'invite'),
    publicUrl: url('PUBLIC_URL', ['http', 'https']),
    authSecret: str('BETTER_AUTH_SECRET') ?? str('AUTH_SECRET'),
    maxStorageBytesPerAccount: int('MAX_STORAGE_BYTES_PER_ACCOUNT', 20 * 1024 ** 3, 0),
    rateLimits: {
      signInPerAccount: int('RATE_LIMIT_SIGNIN_PER_ACCOUNT', 10, 0, 100_000),
      signInPerAddress: int('RATE_LIMIT_SIGNIN_PER_ADDRESS', 50, 0, 100_000),
      signUpPerAddress: int('RATE_LIMIT_SIGNUP_PER_ADDRESS', 10, 0, 100_000),
      uploadsPerAccount: int('RATE_LIMIT_UPLOADS_PER_HOUR', 120, 0, 100_000),
      exportsPerAccount: int('RATE_LIMIT_EXPORTS_PER_HOUR', 300, 0, 100_000),
    },
  };
  if (config.authSecret !== null && config.authSecret.length < 32) {
    problems.push(`${str('BETTER_AUTH_SECRET') ? 'BETTER_AUTH_SECRET' : 'AUTH_SECRET'}: expected at least 32 characters (e.g. \`openssl rand -base64 32\`)`);
  }
  if (config.publicUrl) {
    try {
      const u = new URL(config.publicUrl);
      config.publicUrl = u.origin;
    } catch {
      problems.push(`PUBLIC_URL=${JSON.stringify(config.publicUrl)}: not a valid URL`);
    }
  }
  if (config.poseRunner === 'phalp' && !config.phalpDir) problems.push('POSE_RUNNER=phalp needs PHALP_DIR (the 4D-Humans checkout)');
  if (problems.length) throw new ConfigError(problems);
  return config;
}

let cached: Config | null = null;

/** The process's configuration, validated on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/** For tests that change the environment between cases. */
export function resetConfigForTests(): void {
  cached = null;
}
