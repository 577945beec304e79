import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, getDb } from '@/lib/db';
import { BlobNotFoundError, BlobTooLargeError, type BlobStore } from '@/lib/storage/blob-store';
import { DiskBlobStore } from '@/lib/storage/disk';
import { GRIDFS_BUCKET, GridFsBlobStore } from '@/lib/storage/gridfs';

/**
 * One contract, both backends: everything the product relies on from a BlobStore, checked against
 * files on disk and against GridFS on the real MongoDB of the test harness.
 */
const diskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
const backends: [string, () => BlobStore, () => Promise<string[]>][] = [
  [
    'disk',
    () => new DiskBlobStore(diskRoot),
    // what a failed write may leave: temp files
    async () => (await fsp.readdir(path.join(diskRoot, 'uploads')).catch(() => [])).map((f) => `uploads/${f}`),
  ],
  [
    'gridfs',
    () => new GridFsBlobStore(getDb),
    // chunks that belong to no file
    async () => {
      const db = await getDb();
      const ids = new Set((await db.collection(`${GRIDFS_BUCKET}.files`).find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
      const chunks = await db.collection(`${GRIDFS_BUCKET}.chunks`).find({}, { projection: { files_id: 1 } }).toArray();
      return chunks.filter((c) => !ids.has(String(c.files_id))).map((c) => `chunk of ${String(c.files_id)}`);
    },
  ],
];

afterAll(async () => {
  await closeDb();
  await fsp.rm(diskRoot, { recursive: true, force: true });
});

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed = 1) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
};
async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
/** A stream of `total` bytes in 64 KiB pieces that records how much was pulled from it. */
function counted(total: number, pulled: { n: number }, failAt?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let off = 0; off < total; off += 65536) {
        if (failAt !== undefined && off >= failAt) throw new Error('the client went away');
        const n = Math.min(65536, total - off);
        pulled.n += n;
        yield bytes(n, off);
      }
    })(),
  );
}

describe.each(backends)('BlobStore contract: %s', (_name, make, leftovers) => {
  let store: BlobStore;
  beforeEach(async () => {
    store = make();
    await store.deletePrefix('t/');
  });

  it('puts a stream: size and sha256 computed on the way; reads it back whole and by range', async () => {
    const data = bytes(3 * 1024 * 1024 + 123);
    const put = await store.putStream('t/a/source', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { contentType: 'video/mp4' });
    expect(put.size).toBe(data.length);
    expect(put.sha256).toBe(sha(data));
    const st = await store.stat('t/a/source');
    expect(st?.size).toBe(data.length);
    expect(st?.etag).toMatch(/^".+"$/);
    expect((await readAll(await store.read('t/a/source'))).equals(data)).toBe(true);
    // ranges are inclusive, across chunk boundaries, at the very end, one byte
    for (const [start, end] of [
      [0, 0],
      [1000, 2_000_000],
      [data.length - 10, data.length - 1],
      [1024 * 1024 - 5, 1024 * 1024 + 5],
    ] as const) {
      expect((await readAll(await store.read('t/a/source', { start, end }))).equals(data.subarray(start, end + 1))).toBe(true);
    }
  });

  it('puts a local file', async () => {
    const file = path.join(diskRoot, 'local-input.bin');
    const data = bytes(70_000, 3);
    await fsp.writeFile(file, data);
    const put = await store.putFile('t/b/thumb.jpg', file);
    expect(put.sha256).toBe(sha(data));
    expect((await readAll(await store.read('t/b/thumb.jpg'))).equals(data)).toBe(true);
  });

  it('stores an empty blob', async () => {
    const put = await store.putStream('t/empty', Readable.from([]));
    expect(put.size).toBe(0);
    expect(put.sha256).toBe(sha(Buffer.alloc(0)));
    expect((await readAll(await store.read('t/empty'))).length).toBe(0);
  });

  it('replacing a blob: readers get the new bytes, a new etag, one version in the listing', async () => {
    await store.putStream('t/c/frames.json', Readable.from([Buffer.from('old')]));
    const before = await store.stat('t/c/frames.json');
    await new Promise((r) => setTimeout(r, 5));
    await store.putStream('t/c/frames.json', Readable.from([Buffer.from('new content')]));
    const after = await store.stat('t/c/frames.json');
    expect(after?.etag).not.toBe(before?.etag);
    expect((await readAll(await store.read('t/c/frames.json'))).toString()).toBe('new content');
    expect((await store.list('t/c/')).map((b) => b.key)).toEqual(['t/c/frames.json']);
  });

  it('enforces the size limit while streaming: stops early, keeps nothing, the earlier version stays', async () => {
    await store.putStream('t/d/source', Readable.from([Buffer.from('earlier')]));
    const pulled = { n: 0 };
    await expect(store.putStream('t/d/source', counted(64 * 1024 * 1024, pulled), { maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(pulled.n).toBeLessThan(4 * 1024 * 1024); // did not read the 64 MiB to find out
    expect((await readAll(await store.read('t/d/source'))).toString()).toBe('earlier');
    expect(await leftovers()).toEqual([]);
    // exactly at the limit is fine
    const put = await store.putStream('t/d/exact', Readable.from([bytes(1000)]), { maxBytes: 1000 });
    expect(put.size).toBe(1000);
  });

  it('a stream that fails mid-way leaves nothing (no blob, no partial data)', async () => {
    const pulled = { n: 0 };
    await expect(store.putStream('t/e/source', counted(5 * 1024 * 1024, pulled, 2 * 1024 * 1024))).rejects.toThrow('the client went away');
    expect(await store.stat('t/e/source')).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it('an aborted put leaves nothing', async () => {
    const ac = new AbortController();
    const slow = Readable.from(
      (async function* () {
        for (let i = 0; i < 100; i++) {
          if (i === 20) ac.abort();
          yield bytes(65536, i);
          await new Promise((r) => setTimeout(r, 1));
        }
      })(),
    );
    await expect(store.putStream('t/f/source', slow, { signal: ac.signal })).rejects.toThrow();
    expect(await store.stat('t/f/source')).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it('copies within the store (the copy outlives the original)', async () => {
    const data = bytes(200_000, 9);
    await store.putStream('t/g/playable.mp4', Readable.from([data]));
    expect(await store.copy('t/g/playable.mp4', 't/h/playable.mp4')).toBe(true);
    await store.delete('t/g/playable.mp4');
    expect(await store.stat('t/g/playable.mp4')).toBeNull();
    expect((await readAll(await store.read('t/h/playable.mp4'))).equals(data)).toBe(true);
    expect(await store.copy('t/nothing/here', 't/h/other')).toBe(false);
    expect(await store.stat('t/h/other')).toBeNull();
  });

  it('deletes a prefix and only that prefix; lists by prefix', async () => {
    for (const k of ['t/p1/source', 't/p1/thumb.jpg', 't/p1/poses/v1.bin', 't/p10/source', 't/p2/source']) {
      await store.putStream(k, Readable.from([Buffer.from(k)]));
    }
    expect((await store.list('t/p1/')).map((b) => b.key)).toEqual(['t/p1/poses/v1.bin', 't/p1/source', 't/p1/thumb.jpg']);
    expect(await store.deletePrefix('t/p1/')).toBe(3);
    expect(await store.list('t/p1/')).toEqual([]);
    expect((await store.list('t/')).map((b) => b.key)).toEqual(['t/p10/source', 't/p2/source']);
    expect(await store.deletePrefix('t/none/')).toBe(0);
    await store.delete('t/p2/source');
    await store.delete('t/p2/source'); // deleting twice is fine
    expect(await store.stat('t/p2/source')).toBeNull();
  });

  it('fetches a blob to a local file; missing blobs are a BlobNotFoundError', async () => {
    const data = bytes(1_500_000, 5);
    await store.putStream('t/i/source', Readable.from([data]));
    const out = path.join(diskRoot, 'work', 'job-1', 'source');
    await store.fetchToFile('t/i/source', out);
    expect((await fsp.readFile(out)).equals(data)).toBe(true);
    await expect(store.fetchToFile('t/i/missing', path.join(diskRoot, 'work', 'x'))).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.read('t/i/missing')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(fs.existsSync(path.join(diskRoot, 'work', 'x'))).toBe(false);
  });

  it('refuses keys that could escape (absolute, .., empty parts) and prefixes without a slash', async () => {
    for (const k of ['/etc/passwd', '../x', 't/../../x', 't//x', '', 't/x/']) {
      await expect(store.putStream(k, Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid blob key/);
    }
    await expect(store.deletePrefix('t')).rejects.toThrow(/must end with/);
  });

  it('concurrent puts of one key: one complete version wins, nothing is mixed', async () => {
    const a = bytes(2_000_000, 1);
    const b = bytes(2_000_000, 2);
    await Promise.all([store.putStream('t/j/x', Readable.from([a])), store.putStream('t/j/x', Readable.from([b]))]);
    const got = await readAll(await store.read('t/j/x'));
    expect(got.equals(a) || got.equals(b)).toBe(true);
    expect((await store.list('t/j/')).length).toBe(1);
  });
});

describe('sweeping what a dead writer left', () => {
  it('disk: old temp files go, fresh ones stay', async () => {
    const store = new DiskBlobStore(diskRoot);
    await fsp.mkdir(path.join(diskRoot, 'uploads'), { recursive: true });
    const old = path.join(diskRoot, 'uploads', 'dead.part');
    const fresh = path.join(diskRoot, 'uploads', 'live.part');
    await fsp.writeFile(old, 'x');
    await fsp.writeFile(fresh, 'x');
    const past = new Date(Date.now() - 3 * 3600_000);
    await fsp.utimes(old, past, past);
    expect(await store.sweepIncomplete(3600_000)).toBe(1);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    await fsp.rm(fresh);
  });

  it('gridfs: chunks of a file that was never completed go once old enough', async () => {
    const store = new GridFsBlobStore(getDb);
    const db = await getDb();
    const { ObjectId } = await import('mongodb');
    const deadId = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 7200);
    const liveId = new ObjectId();
    const chunks = db.collection(`${GRIDFS_BUCKET}.chunks`);
    await chunks.insertMany([
      { files_id: deadId, n: 0, data: Buffer.from('x') },
      { files_id: deadId, n: 1, data: Buffer.from('y') },
      { files_id: liveId, n: 0, data: Buffer.from('z') },
    ]);
    expect(await store.sweepIncomplete(3600_000)).toBe(1);
    expect(await chunks.countDocuments({ files_id: deadId })).toBe(0);
    expect(await chunks.countDocuments({ files_id: liveId })).toBe(1);
    await chunks.deleteMany({ files_id: liveId });
  });
});
