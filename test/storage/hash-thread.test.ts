import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BlobTooLargeError } from '@/lib/storage/blob-store';
import { stopHashThread, ThreadedSha256 } from '@/lib/storage/hash-thread';
import { Metering } from '@/lib/storage/metering';

const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** `n` pseudo-random bytes (the same for a seed) */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** feeds `data` in pieces of varying size (1 byte up to 3 MiB) */
function feed(h: ThreadedSha256, data: Buffer, seed: number): void {
  let at = 0;
  let i = seed;
  while (at < data.length) {
    const n = Math.min(data.length - at, [1, 7, 65536, MiB - 3, 3 * MiB, 4096][i++ % 6]!);
    h.update(data.subarray(at, at + n));
    at += n;
  }
}

describe('sha256 on the hashing thread (lib/storage/hash-thread.ts)', () => {
  it('gives the same digest as node:crypto for any size and any way of cutting the bytes', async () => {
    for (const [n, seed] of [[0, 1], [1, 2], [MiB - 1, 3], [MiB, 4], [MiB + 1, 5], [5 * MiB + 333, 6]] as const) {
      const data = bytes(n, seed);
      const h = new ThreadedSha256();
      feed(h, data, seed);
      expect(await h.digest(), `${n} bytes`).toBe(sha(data));
    }
  });

  it('keeps hashes that run at once apart', async () => {
    const datas = [bytes(3 * MiB + 5, 10), bytes(2 * MiB, 11), bytes(700_000, 12)];
    const hashes = datas.map(() => new ThreadedSha256());
    // interleaved: a piece of each in turn
    for (let off = 0; off < 4 * MiB; off += 100_000) datas.forEach((d, i) => hashes[i]!.update(d.subarray(off, off + 100_000)));
    expect(await Promise.all(hashes.map((h) => h.digest()))).toEqual(datas.map(sha));
  });

  it('a Metering stream counts, hashes on the thread and still enforces its limit', async () => {
    const data = bytes(40 * MiB + 17, 20);
    const meter = new Metering();
    const sink = new Writable({ write: (_c, _e, cb) => setImmediate(cb) });
    await pipeline(Readable.from((function* () { for (let o = 0; o < data.length; o += 256 * 1024) yield data.subarray(o, o + 256 * 1024); })()), meter, sink);
    expect(meter.size).toBe(data.length);
    expect(await meter.digest()).toBe(sha(data));

    const small = new Metering(MiB);
    await expect(pipeline(Readable.from([bytes(MiB, 1), bytes(10, 2)]), small, new Writable({ write: (_c, _e, cb) => cb() }))).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it('fails the hashes in progress with a clear error when the thread dies, and the next hash gets a new thread', async () => {
    const h = new ThreadedSha256();
    h.update(bytes(3 * MiB, 30));
    const pending = h.digest();
    await stopHashThread();
    await expect(pending).rejects.toThrow(/hashing thread stopped/);
    const after = new ThreadedSha256();
    after.update(bytes(10, 31));
    expect(await after.digest()).toBe(sha(bytes(10, 31)));
  });

  it('does not keep a process alive once its hashes are done or dropped', () => {
    // a child process that hashes, drops a second hash and then has nothing left to do: it must exit by itself
    const script = `
      import { ThreadedSha256 } from ${JSON.stringify(path.resolve('lib/storage/hash-thread.ts'))};
      const a = new ThreadedSha256(); a.update(Buffer.alloc(3 * 1024 * 1024, 7));
      const b = new ThreadedSha256(); b.update(Buffer.alloc(100, 1)); b.drop();
      console.log(await a.digest());`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe(sha(Buffer.alloc(3 * MiB, 7)));
  });
});
