import { execa } from 'execa';
import { DryMongoBinary, MongoBinary } from 'mongodb-memory-server-core';
import { MongoBinaryDownloadUrl } from 'mongodb-memory-server-core/lib/util/MongoBinaryDownloadUrl';
import fs from 'node:fs/promises';
import path from 'node:path';
import { motionCoachCacheDir } from './cache-dir';
import { ensurePortableMongod } from './portable-mongod';
import { findProgram } from './system-check';

/**
 * Which mongod to run, in this order:
 * 1. MONGOMS_SYSTEM_BINARY, or a `mongod` on PATH                           -> kind 'system'
 * 2. mongodb-memory-server's own binary (already downloaded, or downloaded now) -> kind 'download'
 * 3. the official Windows build under Wine (offline machines like CI)        -> kind 'wine'
 * A failed download is remembered for a while, because finding out costs ~7 s (DNS retries).
 */

export type MongodKind = 'system' | 'download' | 'wine';

export interface MongodBinary {
  kind: MongodKind;
  /** what mongodb-memory-server runs (for 'wine': the generated wrapper script) */
  path: string;
  /** x.y.z from `mongod --version` */
  version: string;
}

export interface ResolveMongodOptions {
  log?: (line: string) => void;
  cacheDir?: string;
  /** default: true unless MOTION_COACH_MONGOD_DOWNLOAD=0 */
  allowDownload?: boolean;
}

/** How long a failed download attempt is trusted before trying the network again. */
export const DOWNLOAD_FAILURE_TTL_MS = 10 * 60_000;
const PROBE_TIMEOUT_MS = 5_000;

export async function resolveMongodBinary(opts: ResolveMongodOptions = {}): Promise<MongodBinary> {
  const log = opts.log ?? (() => {});
  const cacheDir = opts.cacheDir ?? motionCoachCacheDir();

  const system = process.env.MONGOMS_SYSTEM_BINARY ? path.resolve(process.env.MONGOMS_SYSTEM_BINARY) : findProgram('mongod');
  if (system) return { kind: 'system', path: system, version: await mongodVersion(system) };

  const allowDownload = opts.allowDownload ?? process.env.MOTION_COACH_MONGOD_DOWNLOAD !== '0';
  if (allowDownload) {
    const downloaded = await tryMongodDownload(cacheDir, log);
    if (downloaded) return downloaded;
  }

  const portable = await ensurePortableMongod({ cacheDir, log });
  return { kind: 'wine', path: portable.wrapperPath, version: portable.version };
}

async function mongodVersion(binary: string): Promise<string> {
  const out = await execa(binary, ['--version'], { reject: false, timeout: 60_000 });
  const match = /db version v?(\d+\.\d+\.\d+)/i.exec(out.stdout);
  if (!match) throw new Error(`${binary} --version did not print a MongoDB version (exit ${out.exitCode}): ${(out.stderr || out.stdout).slice(0, 500)}`);
  return match[1]!;
}

interface DownloadFailure {
  at: number;
  url: string;
  error: string;
}

/** Exported for tests: the download step alone (null when it is unavailable; the failure is remembered). */
export async function tryMongodDownload(cacheDir: string, log: (line: string) => void = () => {}): Promise<MongodBinary | null> {
  let options: Awaited<ReturnType<typeof DryMongoBinary.generateOptions>>;
  try {
    options = await DryMongoBinary.generateOptions();
    // already downloaded earlier (by us or by mongodb-memory-server's postinstall): no network needed
    const cached = await DryMongoBinary.locateBinary(options);
    if (cached) return { kind: 'download', path: cached, version: options.version };
  } catch (err) {
    // e.g. a MONGOMS_* setting it cannot use: say so, and fall through to the next route
    log(`mongodb-memory-server cannot prepare a download: ${describe(err)}`);
    return null;
  }

  const failureFile = path.join(cacheDir, 'mongod-download-failure.json');
  const failure = await readJson<DownloadFailure>(failureFile);
  if (failure && Date.now() - failure.at < DOWNLOAD_FAILURE_TTL_MS) {
    log(`skipping the MongoDB download (failed ${Math.round((Date.now() - failure.at) / 1000)} s ago: ${failure.error})`);
    return null;
  }

  let url = '(unknown)';
  const started = Date.now();
  try {
    url = await new MongoBinaryDownloadUrl(options).getDownloadUrl();
    // a quick HEAD first: mongodb-memory-server's own failure takes ~7 s of retries on an offline machine
    const head = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!head.ok) throw new Error(`HTTP ${head.status}`);
    log(`downloading MongoDB ${options.version} from ${url}`);
    const binary = await MongoBinary.getPath(options);
    return { kind: 'download', path: binary, version: options.version };
  } catch (err) {
    const error = describe(err);
    log(`MongoDB download unavailable after ${Date.now() - started} ms (${url}): ${error}`);
    await fs.mkdir(cacheDir, { recursive: true });
    const record: DownloadFailure = { at: Date.now(), url, error };
    const tmp = `${failureFile}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(record));
    await fs.rename(tmp, failureFile);
    return null;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
