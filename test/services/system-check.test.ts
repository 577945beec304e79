import { describe, expect, it } from 'vitest';
import { checkSystemPrograms, findProgram, installCommandFor, MissingProgramsError } from '../../scripts/services/system-check';
import { findFreePort } from '../../scripts/services/free-port';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

describe('checkSystemPrograms', () => {
  it('returns the absolute paths when everything is installed', () => {
    const found = checkSystemPrograms(['sh', 'redis-server']);
    expect(found.sh).toMatch(/^\/.*\/sh$/);
    expect(found['redis-server']).toMatch(/redis-server$/);
  });

  it('lists every missing program in ONE message with the Debian install command', () => {
    let error: unknown;
    try {
      // a PATH holding only `sh`, so the check must report the others missing
      const onlySh = fs.mkdtempSync(path.join(os.tmpdir(), 'path-'));
      fs.symlinkSync('/bin/sh', path.join(onlySh, 'sh'));
      checkSystemPrograms(['sh', 'ffprobe', 'redis-server', 'no-such-program-xyz'], { pathEnv: onlySh, platform: 'linux' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingProgramsError);
    const e = error as MissingProgramsError;
    expect(e.missing).toEqual(['ffprobe', 'redis-server', 'no-such-program-xyz']);
    expect(e.message).toContain('Missing programs: ffprobe, redis-server, no-such-program-xyz');
    expect(e.message).toContain('sudo apt-get install -y ffmpeg redis-server no-such-program-xyz');
    expect(e.message).not.toMatch(/\bsh\b,/);
  });

  it('gives the Homebrew command on macOS', () => {
    expect(installCommandFor(['ffmpeg', 'ffprobe', 'redis-server'], 'darwin')).toBe('brew install ffmpeg redis');
  });

  it('finds programs by absolute path too', () => {
    expect(findProgram('/bin/sh')).toBe('/bin/sh');
    expect(findProgram('/nonexistent/prog')).toBeNull();
  });
});

describe('findFreePort', () => {
  it('gives a port that can be bound on 127.0.0.1', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => server.close(r));
  });
});
