import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MongoServerError, ObjectId, type Db } from 'mongodb';
import { resetConfigForTests } from '../../lib/config';
import {
  copyFrames,
  deleteFrames,
  ensureFrameIndexes,
  FrameStoreError,
  loadSequence,
  readFrames,
  saveSequence,
  TTL_INDEX_NAME,
} from '../../lib/frames/repo';
import type { PoseSequence } from '../../lib/pose/types';
import { insertClip, openTestDb } from './db';
import { syntheticSequence } from './synthetic-sequence';

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await openTestDb('frames_repo'));
  await ensureFrameIndexes(db);
});
afterAll(async () => drop?.());
afterEach(() => {
  delete process.env.FRAMES_TTL_DAYS;
  resetConfigForTests();
});

const seq = syntheticSequence({ frames: 240, tracks: 2, seed: 3 });
const personFramesOf = (s: PoseSequence) => s.frames.reduce((n, f) => n + f.persons.length, 0);

describe('frame store', () => {
  it('saves a sequence and loads it back identical (meta from the clip doc, every frame, float32 exact)', async () => {
    const clipId = await insertClip(db);
    const res = await saveSequence(clipId, seq, { db });
    expect(res.frames).toBe(240);
    expect(res.personFrames).toBe(personFramesOf(seq));
    expect(res.bytes! / res.personFrames).toBeLessThan(2200);
    const back = await loadSequence(clipId, { db });
    expect(back).toEqual(seq);
    const clip = await db.collection('clips').findOne({ _id: new ObjectId(clipId) });
    // the clip repository's own fields are untouched
    expect(clip).toMatchObject({ filename: 'test.mp4', status: 'done', pose: { runner: 'phalp', frame_count: 240, joint_set: 'phalp45', smpl: true } });
    expect(clip!.pose.frames).toBeUndefined();
  });

  it('keeps frames with nobody present', async () => {
    const clipId = await insertClip(db);
    await saveSequence(clipId, seq, { db });
    const empty = seq.frames.filter((f) => f.persons.length === 0).map((f) => f.frame_number);
    expect(empty.length).toBeGreaterThan(0);
    expect(await db.collection('frames').countDocuments({ clipId: new ObjectId(clipId), persons: { $size: 0 } })).toBe(empty.length);
    const [first] = await readFrames(clipId, empty[0], empty[0], { db });
    expect(first).toEqual({ frame_number: empty[0], timestamp: seq.frames[empty[0]].timestamp, persons: [] });
  });

  it('is idempotent: saving again replaces, never duplicates; a shorter result removes the extra frames', async () => {
    const clipId = await insertClip(db);
    const oid = new ObjectId(clipId);
    await saveSequence(clipId, seq, { db });
    await saveSequence(clipId, seq, { db });
    expect(await db.collection('frames').countDocuments({ clipId: oid })).toBe(240);

    const shorter = syntheticSequence({ frames: 100, tracks: 1, seed: 9 });
    const res = await saveSequence(clipId, shorter, { db });
    expect(res.frames).toBe(100);
    expect(await db.collection('frames').countDocuments({ clipId: oid })).toBe(100);
    expect(await db.collection('frames').countDocuments({ clipId: oid, frame: { $gte: 100 } })).toBe(0);
    expect(await loadSequence(clipId, { db })).toEqual(shorter);
  });

  it('reads an inclusive frame range in order', async () => {
    const clipId = await insertClip(db);
    await saveSequence(clipId, seq, { db });
    const part = await readFrames(clipId, 10, 19, { db });
    expect(part.map((f) => f.frame_number)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(part).toEqual(seq.frames.slice(10, 20));
    expect(await readFrames(clipId, 500, 600, { db })).toEqual([]);
  });

  it('has the unique {clipId, frame} index: a raw duplicate insert fails', async () => {
    const indexes = await db.collection('frames').indexes();
    expect(indexes.find((ix) => ix.unique)).toMatchObject({ key: { clipId: 1, frame: 1 }, unique: true });
    const doc = { clipId: new ObjectId(), frame: 0, timestamp: 0, persons: [] };
    await db.collection('frames').insertOne({ ...doc });
    const err = await db.collection('frames').insertOne({ ...doc }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(11000);
  });

  it('TTL: no index and no expiresAt by default; index + expiresAt when FRAMES_TTL_DAYS is set; dropped when unset again', async () => {
    const ttlIndex = async () => (await db.collection('frames').indexes()).find((ix) => ix.name === TTL_INDEX_NAME);
    expect(await ttlIndex()).toBeUndefined();
    const plain = await insertClip(db);
    await saveSequence(plain, seq, { db });
    expect(await db.collection('frames').countDocuments({ clipId: new ObjectId(plain), expiresAt: { $exists: true } })).toBe(0);

    process.env.FRAMES_TTL_DAYS = '7';
    resetConfigForTests();
    await ensureFrameIndexes(db);
    expect(await ttlIndex()).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
    const expiring = await insertClip(db);
    const before = Date.now();
    await saveSequence(expiring, seq, { db });
    const doc = await db.collection('frames').findOne({ clipId: new ObjectId(expiring), frame: 5 });
    const inDays = (doc!.expiresAt.getTime() - before) / 86_400_000;
    expect(inDays).toBeGreaterThan(6.99);
    expect(inDays).toBeLessThan(7.01);

    delete process.env.FRAMES_TTL_DAYS;
    resetConfigForTests();
    await ensureFrameIndexes(db);
    expect(await ttlIndex()).toBeUndefined();
  });

  it('bad input is refused before anything is written: the stored result stays as it was', async () => {
    const clipId = await insertClip(db);
    await saveSequence(clipId, seq, { db });
    const broken = structuredClone(seq);
    broken.frames[200].persons[0].keypoints_3d = new Float32Array(5);
    broken.frames[0].timestamp = 99; // would show if anything had been written
    await expect(saveSequence(clipId, broken, { db })).rejects.toThrow(/frame 200, track 1: keypoints_3d/);
    const gaps = { ...seq, frames: seq.frames.slice(0, 100) };
    await expect(saveSequence(clipId, gaps, { db })).rejects.toThrow(/100 frames but frame_count 240/);
    expect(await loadSequence(clipId, { db })).toEqual(seq);
  });

  it('refuses unknown and malformed clip ids', async () => {
    await expect(saveSequence(new ObjectId().toHexString(), seq, { db })).rejects.toThrow(/not found/);
    await expect(saveSequence('../../etc', seq, { db })).rejects.toThrow(FrameStoreError);
    expect(await loadSequence(new ObjectId().toHexString(), { db })).toBeNull();
  });

  it('loadSequence says so when frames are missing (expired or deleted)', async () => {
    const clipId = await insertClip(db);
    await saveSequence(clipId, seq, { db });
    await db.collection('frames').deleteMany({ clipId: new ObjectId(clipId), frame: { $lt: 10 } });
    await expect(loadSequence(clipId, { db })).rejects.toThrow(/230 of 240 frames are stored/);
  });

  it('deleteFrames removes the frames and the pose metadata of one clip only', async () => {
    const a = await insertClip(db);
    const b = await insertClip(db);
    await saveSequence(a, seq, { db });
    await saveSequence(b, seq, { db });
    expect(await deleteFrames(a, { db })).toBe(240);
    expect(await loadSequence(a, { db })).toBeNull();
    expect(await db.collection('frames').countDocuments({ clipId: new ObjectId(a) })).toBe(0);
    expect(await loadSequence(b, { db })).toEqual(seq);
  });

  it('copyFrames gives another clip the same result, replacing what it had', async () => {
    const from = await insertClip(db);
    const to = await insertClip(db);
    await saveSequence(from, seq, { db });
    await saveSequence(to, syntheticSequence({ frames: 300, tracks: 1, seed: 5 }), { db });
    const res = await copyFrames(from, to, { db });
    expect(res).toEqual({ frames: 240, personFrames: personFramesOf(seq) });
    expect(await loadSequence(to, { db })).toEqual(seq);
    expect(await db.collection('frames').countDocuments({ clipId: new ObjectId(to) })).toBe(240);
    // the source is untouched
    expect(await loadSequence(from, { db })).toEqual(seq);
    await expect(copyFrames(new ObjectId().toHexString(), to, { db })).rejects.toThrow(/no stored result/);
  });
});
