import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withDirLock } from '../../scripts/services/dir-lock';
import { findFreePort } from '../../scripts/services/free-port';
import { tryMongodDownload } from '../../scripts/services/mongod-binary';
import { ensurePortableMongod, findWine, PORTABLE_MONGOD } from '../../scripts/services/portable-mongod';
import { testTempDir } from '../setup/test-services';

describe('withDirLock', () => {
  it('runs one holder at a time', async () => {
    const lock = path.join(testTempDir('lock'), 'x.lock');
    let inside = 0;
    let maxInside = 0;
    const work = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setTimeout(r, 100));
      inside--;
    };
    await Promise.all([withDirLock(lock, work), withDirLock(lock, work), withDirLock(lock, work)]);
    expect(maxInside).toBe(1);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const lock = path.join(testTempDir('lock'), 'y.lock');
    fs.mkdirSync(lock);
    // pid 2^22+ is above Linux's pid_max default range: no such process
    fs.writeFileSync(path.join(lock, 'owner.json'), JSON.stringify({ pid: 4_194_304 + 7, host: (await import('node:os')).hostname(), at: Date.now() }));
    const started = Date.now();
    expect(await withDirLock(lock, async () => 'got it', { timeoutMs: 5_000 })).toBe('got it');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('gives up with a clear message when the holder is alive', async () => {
    const lock = path.join(testTempDir('lock'), 'z.lock');
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), at: Date.now() }));
    await expect(withDirLock(lock, async () => 1, { timeoutMs: 600 })).rejects.toThrow(/waiting for the lock/);
  });
});

describe('mongod download step', () => {
  const saved = process.env.MONGOMS_DOWNLOAD_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.MONGOMS_DOWNLOAD_URL;
    else process.env.MONGOMS_DOWNLOAD_URL = saved;
  });

  it('fails fast when the download server is unreachable, and remembers it', async () => {
    // a port nobody listens on stands for an unreachable download server
    const port = await findFreePort();
    // (the file name must look like a MongoDB archive: mongodb-memory-server parses the version from it)
    process.env.MONGOMS_DOWNLOAD_URL = `http://127.0.0.1:${port}/mongodb-linux-x86_64-debian12-8.2.6.tgz`;
    const cacheDir = testTempDir('dl-cache');
    const logs: string[] = [];
    const started = Date.now();
    const first = await tryMongodDownload(cacheDir, (l) => logs.push(l));
    // (on a machine where mongodb-memory-server already downloaded a binary, that one is used instead)
    if (first !== null) {
      expect(first.kind).toBe('download');
      return;
    }
    expect(Date.now() - started).toBeLessThan(6_000);
    const record = JSON.parse(fs.readFileSync(path.join(cacheDir, 'mongod-download-failure.json'), 'utf8'));
    expect(record.url).toBe(process.env.MONGOMS_DOWNLOAD_URL);

    // second attempt: no network at all, even if the "server" now exists
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      expect(await tryMongodDownload(cacheDir, (l) => logs.push(l))).toBeNull();
      expect(logs.at(-1)).toMatch(/skipping the MongoDB download/);
    } finally {
      server.close();
    }
  });
});

describe('portable mongod cache (Wine route)', () => {
  it.skipIf(!findWine())('two concurrent preparations of an empty cache give one intact cache', { timeout: 300_000 }, async () => {
    const cacheDir = testTempDir('portable-cache');
    const [a, b] = await Promise.all([ensurePortableMongod({ cacheDir }), ensurePortableMongod({ cacheDir })]);
    expect(a).toEqual(b);
    expect(fs.statSync(a.exePath).size).toBe(PORTABLE_MONGOD.exeSize);
    expect(fs.statSync(a.wrapperPath).mode & 0o111).not.toBe(0);
    // nothing half-made left behind: no staging folders, no lock
    expect(fs.readdirSync(cacheDir).sort()).toEqual([`mongodb-${PORTABLE_MONGOD.version}-windows`, 'wine-prefix']);
    const { execa } = await import('execa');
    const version = await execa(a.wrapperPath, ['--version']);
    expect(version.stdout).toMatch(/^db version v7\.0\.15$/m);
  });
});
