import fs from 'node:fs';
import path from 'node:path';

/**
 * Checks that the external programs the product runs (ffmpeg, redis-server, ...) are installed, and
 * fails with ONE message naming every missing program and the command that installs them, instead of
 * a spawn ENOENT stack trace at the first upload.
 */

/** The package that provides each program, per package manager (when it differs from the name). */
const APT_PACKAGE: Record<string, string> = {
  ffprobe: 'ffmpeg',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  wine64: 'wine64',
  chromium: 'chromium',
  python3: 'python3',
};
const BREW_PACKAGE: Record<string, string> = {
  ffprobe: 'ffmpeg',
  'redis-server': 'redis',
  'redis-cli': 'redis',
  mongod: 'mongodb-community',
  chromium: 'chromium',
};

export class MissingProgramsError extends Error {
  constructor(
    readonly missing: string[],
    readonly installCommand: string,
  ) {
    super(
      `Missing program${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.\n` +
        `Install ${missing.length > 1 ? 'them' : 'it'} with:\n  ${installCommand}`,
    );
    this.name = 'MissingProgramsError';
  }
}

/** Absolute path of an executable found on PATH (or the path itself if it contains a slash), or null. */
export function findProgram(name: string, pathEnv = process.env.PATH ?? ''): string | null {
  const candidates = name.includes('/') ? [name] : pathEnv.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return path.resolve(candidate);
    } catch {
      // not here: try the next PATH entry
    }
  }
  return null;
}

/** The shell command that installs the given programs on this platform. */
export function installCommandFor(programs: string[], platform: NodeJS.Platform = process.platform): string {
  const unique = (xs: string[]) => [...new Set(xs)];
  if (platform === 'darwin') return `brew install ${unique(programs.map((p) => BREW_PACKAGE[p] ?? p)).join(' ')}`;
  if (platform === 'win32') return `install ${programs.join(', ')} and put ${programs.length > 1 ? 'them' : 'it'} on PATH`;
  // Debian/Ubuntu (what CI and the dev machines run); other Linux distributions use similar names
  return `sudo apt-get install -y ${unique(programs.map((p) => APT_PACKAGE[p] ?? p)).join(' ')}`;
}

export interface SystemCheckOptions {
  pathEnv?: string;
  platform?: NodeJS.Platform;
}

/**
 * Throws MissingProgramsError listing all missing programs at once; returns name -> absolute path otherwise.
 */
export function checkSystemPrograms(programs: string[], opts: SystemCheckOptions = {}): Record<string, string> {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of programs) {
    const at = findProgram(name, opts.pathEnv);
    if (at) found[name] = at;
    else missing.push(name);
  }
  if (missing.length) throw new MissingProgramsError(missing, installCommandFor(missing, opts.platform));
  return found;
}
