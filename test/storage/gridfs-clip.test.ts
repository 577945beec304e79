import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload, deleteClip } from '../../lib/clips/service';
import { getConfig, resetConfigForTests } from '../../lib/config';
import { closeDb, getDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { blobStore, clipKeys } from '../../lib/storage';
import { DiskBlobStore } from '../../lib/storage/disk';
import { GRIDFS_BUCKET, GridFsBlobStore } from '../../lib/storage/gridfs';
import { migrateBlobs } from '../../lib/storage/migrate';
import { asUser, params, testOwner, testUser } from '../auth/helpers';
import { fileChunks, multipartRequest, PHALP_DOUBLE_DIR, SAMPLE_VIDEO, startWorker, waitFor, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';

/**
 * STORAGE=gridfs end to end: the web side (this process) and a real worker process, each with its own
 * empty DATA_DIR, share nothing but MongoDB and Redis. Upload streams into GridFS, the worker fetches
 * the source into its own scratch and puts its outputs back, video/thumbnail/poses are served from
 * GridFS (Range, 416, ETag, 304), an identical upload re-uses blobs by copy, deletion removes them, a
 * worker killed mid-job leaves scratch that its next start removes, and a disk install migrates.
 */
const PHALP_ENV = { POSE_RUNNER: 'phalp', PHALP_DIR: PHALP_DOUBLE_DIR, PHALP_PYTHON: '/usr/bin/python3', PHALP_DOUBLE_PEOPLE: '2' };
let tmp: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  process.env.STORAGE = 'gridfs';
  resetConfigForTests();
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-gridfs-'));
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
  delete process.env.STORAGE;
  resetConfigForTests();
});

async function gridKeys(prefix: string): Promise<string[]> {
  const db = await getDb();
  return (await db.collection(`${GRIDFS_BUCKET}.files`).find({ filename: { $regex: `^${prefix}` } }).toArray()).map((d) => d.filename as string).sort();
}
async function waitDone(id: string, w: WorkerProcess, ms = 180_000) {
  try {
    return await waitFor(async () => {
      const doc = await getClipDoc(id);
      if (doc?.status === 'failed') throw new Error(`job failed: ${doc.error}`);
      return doc?.status === 'done' ? doc : null;
    }, ms, 'clip done');
  } catch (err) {
    throw new Error(`${(err as Error).message}\nworker log:\n${w.output().slice(-3000)}`);
  }
}
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('STORAGE=gridfs', { timeout: 600_000 }, () => {
  it('upload -> GridFS, worker with its own DATA_DIR -> outputs in GridFS; served with Range/416/ETag; re-use by copy; delete removes blobs', async () => {
    const workerDir = await fsp.mkdtemp(path.join(tmp, 'worker-'));
    const w = startWorker({ ...PHALP_ENV, STORAGE: 'gridfs', DATA_DIR: workerDir, PHALP_DOUBLE_FPS: '400' });
    workers.push(w);
    await waitForWorkerReady(w);
    const user = await testUser();
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'jump.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    const keys = clipKeys(clip.id);
    const sampleBytes = fs.readFileSync(SAMPLE_VIDEO);
    // streamed straight into GridFS: nothing under the web side's DATA_DIR
    expect(await gridKeys(keys.prefix)).toEqual([keys.source]);
    expect(await (blobStore() as GridFsBlobStore).recordedSha256(keys.source)).toBe(sha(sampleBytes));
    expect(fs.existsSync(path.join(getConfig().dataDir, 'clips'))).toBe(false);
    expect(await fsp.readdir(path.join(getConfig().dataDir, 'uploads')).catch(() => [])).toEqual([]);

    const done = await waitDone(clip.id, w);
    expect(done.hasPlayableCopy).toBe(true); // the sample is VP9
    expect(await gridKeys(keys.prefix)).toEqual([keys.frameIndex, keys.playable, keys.source, keys.thumbnail].sort());
    // the worker's scratch is gone once the job ended
    await waitFor(async () => (await fsp.readdir(path.join(workerDir, 'work')).catch(() => [])).length === 0, 10_000, 'worker scratch removed');

    const { GET: video } = await import('../../app/api/clips/[id]/video/route');
    const playable = Buffer.concat(await (await blobStore().read(keys.playable)).toArray());
    const whole = await video(asUser(user, `/api/clips/${clip.id}/video`), params({ id: clip.id }));
    expect(whole.status).toBe(200);
    expect(Number(whole.headers.get('content-length'))).toBe(playable.length);
    expect(Buffer.from(await whole.arrayBuffer()).equals(playable)).toBe(true);
    const etag = whole.headers.get('etag')!;
    const part = await video(asUser(user, `/api/clips/${clip.id}/video`, { headers: { range: 'bytes=1000-1099999' } }), params({ id: clip.id }));
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1099999/${playable.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(playable.subarray(1000, 1100000))).toBe(true);
    const tail = await video(asUser(user, `/api/clips/${clip.id}/video`, { headers: { range: 'bytes=-500' } }), params({ id: clip.id }));
    expect(Buffer.from(await tail.arrayBuffer()).equals(playable.subarray(playable.length - 500))).toBe(true);
    const beyond = await video(asUser(user, `/api/clips/${clip.id}/video`, { headers: { range: `bytes=${playable.length}-` } }), params({ id: clip.id }));
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${playable.length}`);
    const cached = await video(asUser(user, `/api/clips/${clip.id}/video`, { headers: { 'if-none-match': etag } }), params({ id: clip.id }));
    expect(cached.status).toBe(304);

    const { GET: thumb } = await import('../../app/api/clips/[id]/thumbnail/route');
    const t = await thumb(asUser(user, `/api/clips/${clip.id}/thumbnail`), params({ id: clip.id }));
    expect(t.status).toBe(200);
    expect(Buffer.from(await t.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');

    // poses: built once per result version, then served from the store with a stable ETag
    const { GET: poses } = await import('../../app/api/clips/[id]/poses/route');
    const p1 = await poses(asUser(user, `/api/clips/${clip.id}/poses`), params({ id: clip.id }));
    expect(p1.status).toBe(200);
    const payload = Buffer.from(await p1.arrayBuffer());
    expect(payload.subarray(0, 4).toString('latin1')).toBe('PSQ1');
    const posesKeys = (await gridKeys(keys.posesPrefix));
    expect(posesKeys).toHaveLength(1);
    const p2 = await poses(asUser(user, `/api/clips/${clip.id}/poses`), params({ id: clip.id }));
    expect(p2.headers.get('etag')).toBe(p1.headers.get('etag'));
    expect(Buffer.from(await p2.arrayBuffer()).equals(payload)).toBe(true);
    const p3 = await poses(asUser(user, `/api/clips/${clip.id}/poses`, { headers: { 'if-none-match': p1.headers.get('etag')! } }), params({ id: clip.id }));
    expect(p3.status).toBe(304);
    expect(await gridKeys(keys.posesPrefix)).toEqual(posesKeys);

    // the same bytes again: results re-used, blobs copied within GridFS
    const again = await acceptUpload(await testOwner(), multipartRequest({ name: 'again.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    expect(again.status).toBe('done');
    const againKeys = clipKeys(again.id);
    expect(await gridKeys(againKeys.prefix)).toEqual([againKeys.frameIndex, againKeys.playable, againKeys.source, againKeys.thumbnail].sort());

    await deleteClip(await testOwner(), clip.id);
    expect(await gridKeys(keys.prefix)).toEqual([]);
    const still = await video(asUser(user, `/api/clips/${again.id}/video`, { headers: { range: 'bytes=0-9' } }), params({ id: again.id }));
    expect(Buffer.from(await still.arrayBuffer()).equals(playable.subarray(0, 10))).toBe(true);
    await deleteClip(await testOwner(), again.id);
    expect(await gridKeys('clips/')).toEqual([]);
  });

  it('a worker killed mid-job leaves its scratch; its next start removes it, and the clip finishes once', async () => {
    const workerDir = await fsp.mkdtemp(path.join(tmp, 'worker-'));
    const slow = startWorker({ ...PHALP_ENV, STORAGE: 'gridfs', DATA_DIR: workerDir, PHALP_DOUBLE_FPS: '10' });
    workers.push(slow);
    await waitForWorkerReady(slow);
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'jump.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    const runs = path.join(workerDir, 'work', clip.id);
    await waitFor(async () => (await getClipDoc(clip.id))?.stage === 'tracking', 300_000, 'tracking').catch(async (err) => {
      throw new Error(`${(err as Error).message}\nclip: ${JSON.stringify(await getClipDoc(clip.id))}\nworker log:\n${slow.output().slice(-3000)}`);
    });
    expect(fs.readdirSync(runs)).toEqual(['attempt-1']);
    await slow.stop('SIGKILL');
    expect(fs.existsSync(path.join(runs, 'attempt-1', 'frames'))).toBe(true); // left behind
    const next = startWorker({ ...PHALP_ENV, STORAGE: 'gridfs', DATA_DIR: workerDir, PHALP_DOUBLE_FPS: '400' });
    workers.push(next);
    await waitForWorkerReady(next);
    expect(next.output()).toMatch(/worker\.removed-abandoned-scratch/);
    const done = await waitDone(clip.id, next);
    expect(done.attempts).toBe(2);
    const db = await getDb();
    const { ObjectId } = await import('mongodb');
    expect(await db.collection('frames').countDocuments({ clipId: new ObjectId(clip.id) })).toBe(230);
    await waitFor(async () => !fs.existsSync(runs), 10_000, 'scratch removed');
    expect(execFileSync('sh', ['-c', `pgrep -af ${workerDir} | grep -v pgrep || true`]).toString().trim()).toBe('');
  });

  it('an upload over the limit or not a video leaves nothing in GridFS and no local copy', async () => {
    const before = await gridKeys('clips/');
    const db = await getDb();
    const chunksBefore = await db.collection(`${GRIDFS_BUCKET}.chunks`).countDocuments();
    process.env.MAX_UPLOAD_BYTES = String(1024 * 1024);
    resetConfigForTests();
    try {
      const big = await acceptUpload(await testOwner(), multipartRequest({ name: 'jump.mp4', chunks: fileChunks(SAMPLE_VIDEO) })).catch((e) => e);
      expect(big.status).toBe(413);
    } finally {
      delete process.env.MAX_UPLOAD_BYTES;
      resetConfigForTests();
    }
    const text = await acceptUpload(await testOwner(), multipartRequest({ name: 'notes.mp4', chunks: [Buffer.from('not a video\n'.repeat(500))] })).catch((e) => e);
    expect(text.status).toBe(415);
    expect(await gridKeys('clips/')).toEqual(before);
    expect(await db.collection(`${GRIDFS_BUCKET}.chunks`).countDocuments()).toBe(chunksBefore);
    expect(await fsp.readdir(path.join(getConfig().dataDir, 'uploads')).catch(() => [])).toEqual([]);
  });

  it('storage:migrate copies a disk install into GridFS and verifies each blob; running it again skips and re-verifies', async () => {
    const diskRoot = await fsp.mkdtemp(path.join(tmp, 'disk-install-'));
    const disk = new DiskBlobStore(diskRoot);
    const id = '0123456789abcdef01234567';
    const keys = clipKeys(id);
    const source = crypto.randomBytes(3 * 1024 * 1024 + 17);
    await disk.putStream(keys.source, Readable.from([source]));
    await disk.putStream(keys.thumbnail, Readable.from([Buffer.from([0xff, 0xd8, 0xff, 0xd9])]));
    await disk.putStream(keys.frameIndex, Readable.from([Buffer.from('{"frameCount":0}')]));
    // scratch of an older install (frames, runner folders inside the clip's folder) is not migrated
    await disk.putStream(`${keys.prefix}frames/000000.jpg`, Readable.from([Buffer.from('jpg')]));
    await disk.putStream(`${keys.prefix}runs/attempt-1/results.pkl`, Readable.from([Buffer.from('pkl')]));
    const grid = new GridFsBlobStore(getDb);
    const first = await migrateBlobs(disk, grid);
    expect(first.copied.sort()).toEqual([keys.frameIndex, keys.source, keys.thumbnail].sort());
    expect(first.mismatched).toEqual([]);
    expect(first.bytes).toBe(source.length + 4 + 16);
    expect(Buffer.concat(await (await grid.read(keys.source)).toArray()).equals(source)).toBe(true);
    // a blob changed on disk since (or a damaged copy): copied again, not skipped
    await disk.putStream(keys.thumbnail, Readable.from([Buffer.from([0xff, 0xd8, 0x00, 0xff, 0xd9])]));
    const second = await migrateBlobs(disk, grid);
    expect(second.copied).toEqual([keys.thumbnail]);
    expect(second.skipped.sort()).toEqual([keys.frameIndex, keys.source].sort());
    await grid.deletePrefix(keys.prefix);
  });
});
