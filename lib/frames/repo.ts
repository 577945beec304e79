import { BSON, ObjectId, type AnyBulkWriteOperation, type Collection, type Db } from 'mongodb';
import { getConfig } from '../config';
import { getDb } from '../db';
import type { PoseFrame, PoseSequence } from '../pose/types';
import { decodeFrame, encodeFrame, type FrameDoc } from './codec';

/**
 * The frame store: one MongoDB document per video frame in 'frames' (layout in ./codec.ts), the
 * sequence-level metadata in the clip document ('clips', field `pose`).
 */

export const FRAMES = 'frames';
export const CLIPS = 'clips';
/** replaceOne operations per bulkWrite: large enough to amortise round trips, small enough to stay far below 48 MB messages */
export const BULK_BATCH = 500;

/** Sequence-level metadata stored on the clip document; PoseSequence minus its frames. */
export type PoseMeta = Omit<PoseSequence, 'frames'>;

/** What the clip document holds in `pose`: the metadata plus whether any person carries SMPL parameters. */
export type StoredPoseMeta = PoseMeta & { smpl: boolean };

export interface SaveResult {
  frames: number;
  personFrames: number;
  /** BSON bytes of the frame documents written */
  bytes?: number;
}

export class FrameStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameStoreError';
  }
}

export const TTL_INDEX_NAME = 'frames_expiresAt_ttl';
export const UNIQUE_INDEX_NAME = 'frames_clipId_frame_unique';

export function toClipObjectId(clipId: string): ObjectId {
  if (typeof clipId !== 'string' || !/^[0-9a-f]{24}$/.test(clipId)) throw new FrameStoreError(`invalid clip id '${clipId}'`);
  return new ObjectId(clipId);
}

async function framesCollection(db?: Db): Promise<Collection<FrameDoc>> {
  return (db ?? (await getDb())).collection<FrameDoc>(FRAMES);
}

/** When a frame document written now should expire, or undefined when FRAMES_TTL_DAYS is unset. */
function expiresAtFromConfig(now = Date.now()): Date | undefined {
  const days = getConfig().framesTtlDays;
  return days ? new Date(now + days * 86_400_000) : undefined;
}

/**
 * Indexes of 'frames':
 * - {clipId, frame} unique: the identity of a frame (idempotent upserts) and, as a prefix index, every
 *   query there is: all frames of a clip, a frame range of a clip, deleting a clip's frames.
 * - {expiresAt} TTL (expireAfterSeconds 0: each document carries its own expiry time) only when
 *   FRAMES_TTL_DAYS is set; when it is not, an earlier TTL index is dropped so nothing expires.
 * Safe to call on every start (createIndex is a no-op when the index exists).
 */
export async function ensureFrameIndexes(db?: Db): Promise<void> {
  const frames = await framesCollection(db);
  await frames.createIndex({ clipId: 1, frame: 1 }, { unique: true, name: UNIQUE_INDEX_NAME });
  if (getConfig().framesTtlDays) {
    await frames.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: TTL_INDEX_NAME });
  } else {
    const existing = await frames.indexes().catch(() => []);
    if (existing.some((ix) => ix.name === TTL_INDEX_NAME)) await frames.dropIndex(TTL_INDEX_NAME);
  }
}

// The model's contract (lib/pose/types.ts): one entry per video frame, 0..frame_count-1, in order. Holding
// to it here means a stored clip never mixes frames of two runs.
function checkSequence(seq: PoseSequence): void {
  if (!Number.isInteger(seq.frame_count) || seq.frame_count < 0) throw new FrameStoreError(`frame_count must be a non-negative integer, got ${seq.frame_count}`);
  if (!Array.isArray(seq.frames)) throw new FrameStoreError('sequence has no frames array');
  if (seq.frames.length !== seq.frame_count)
    throw new FrameStoreError(`sequence has ${seq.frames.length} frames but frame_count ${seq.frame_count}: every video frame needs an entry (persons: [] when nobody is there)`);
  seq.frames.forEach((f, i) => {
    if (f.frame_number !== i) throw new FrameStoreError(`frames[${i}] has frame_number ${f.frame_number}, expected ${i} (frames in order, one per video frame)`);
  });
}

function metaOf(seq: PoseSequence): StoredPoseMeta {
  const { runner, joint_set, joint_names, width, height, fps, frame_count, intrinsics } = seq;
  const smpl = seq.frames.some((f) => f.persons.some((p) => p.smpl !== null));
  return { runner, joint_set, joint_names, width, height, fps, frame_count, intrinsics, smpl };
}

/**
 * Stores a runner's result. Idempotent: each frame is a replaceOne upsert on {clipId, frame}, so a retried
 * job replaces what an earlier attempt wrote; frames at or past frame_count (left by an earlier, longer
 * result) are deleted. Everything is encoded (and so validated) before the first write, so bad input
 * leaves the stored frames as they were.
 */
export async function saveSequence(clipId: string, seq: PoseSequence, opts: { db?: Db; from?: number } = {}): Promise<SaveResult> {
  const id = toClipObjectId(clipId);
  checkSequence(seq);
  const db = opts.db ?? (await getDb());
  const clip = await db.collection(CLIPS).findOne({ _id: id }, { projection: { _id: 1 } });
  if (!clip) throw new FrameStoreError(`clip ${clipId} not found: frames are stored only for an existing clip`);

  // `from`: frames before it were stored while the runner worked (appendFinalFrames) and are kept as served
  const from = Math.min(Math.max(0, opts.from ?? 0), seq.frames.length);
  const { bytes } = await writeFrames(id, seq.frames.slice(from), db);
  await (await framesCollection(db)).deleteMany({ clipId: id, frame: { $gte: seq.frame_count } });
  await db.collection(CLIPS).updateOne({ _id: id }, { $set: { pose: metaOf(seq), finalFrames: seq.frame_count } });
  const personFrames = seq.frames.reduce((n, f) => n + f.persons.length, 0);
  return { frames: seq.frames.length, personFrames, bytes };
}

/** Encodes (and so validates) every frame first, then upserts them in bulk batches. */
async function writeFrames(id: ObjectId, list: PoseFrame[], db: Db): Promise<{ bytes: number }> {
  const expiresAt = expiresAtFromConfig();
  const docs = list.map((f) => encodeFrame(id, f, { expiresAt }));
  const frames = await framesCollection(db);
  let bytes = 0;
  for (let i = 0; i < docs.length; i += BULK_BATCH) {
    const ops: AnyBulkWriteOperation<FrameDoc>[] = docs.slice(i, i + BULK_BATCH).map((doc) => {
      bytes += BSON.calculateObjectSize(doc);
      return { replaceOne: { filter: { clipId: id, frame: doc.frame }, replacement: doc, upsert: true } };
    });
    await frames.bulkWrite(ops, { ordered: false });
  }
  return { bytes };
}

/**
 * Results while tracking runs: stores frames that are final (lib/frames/stream-writer.ts) and moves the
 * clip's `finalFrames` (frames 0..finalFrames-1 are stored and will not change) on to the chunk's end.
 * The chunk must continue at the clip's `finalFrames` (frames before it are skipped: a retried write
 * that got through the first time); the clip must be `processing` (a canceled
 * or deleted clip gets no frames). Sets the pose metadata on the first chunk. Returns the new count.
 */
export async function appendFinalFrames(clipId: string, meta: PoseMeta, chunk: PoseFrame[], opts: { db?: Db } = {}): Promise<number> {
  const id = toClipObjectId(clipId);
  const db = opts.db ?? (await getDb());
  const clip = await db.collection(CLIPS).findOne<{ status: string; finalFrames?: number }>({ _id: id }, { projection: { status: 1, finalFrames: 1 } });
  if (!clip || clip.status !== 'processing') throw new FrameStoreError(`clip ${clipId} is not processing: no frames are stored for it`);
  const from = clip.finalFrames ?? 0;
  // a retried write whose first try did get through: those frames are stored already, as they are
  chunk = chunk.filter((f) => f.frame_number >= from);
  if (!chunk.length) return from;
  const end = from + chunk.length;
  chunk.forEach((f, i) => {
    if (f.frame_number !== from + i) throw new FrameStoreError(`final frames must continue at frame ${from + i}, got frame ${f.frame_number}`);
  });
  if (end > meta.frame_count) throw new FrameStoreError(`final frames ${from}..${end - 1} run past the clip's ${meta.frame_count} frames`);
  await writeFrames(id, chunk, db);
  const smpl = chunk.some((f) => f.persons.some((p) => p.smpl !== null));
  const res = await db.collection(CLIPS).updateOne(
    { _id: id, status: 'processing', $or: [{ finalFrames: from }, ...(from === 0 ? [{ finalFrames: { $exists: false } }] : [])] },
    // `pose.smpl`: PHALP gives SMPL parameters; saveSequence sets it from the whole result at the end
    { $set: { finalFrames: end, pose: { ...meta, smpl: smpl || meta.runner === 'phalp' } } },
  );
  if (res.matchedCount !== 1) throw new FrameStoreError(`clip ${clipId} changed while frames ${from}..${end - 1} were stored (canceled, or another attempt runs)`);
  return end;
}

/** Forgets the frames stored while an earlier run of the clip worked (a new attempt, or a fallback runner starts over). */
export async function resetFinalFrames(clipId: string, opts: { db?: Db } = {}): Promise<void> {
  const id = toClipObjectId(clipId);
  const db = opts.db ?? (await getDb());
  await (await framesCollection(db)).deleteMany({ clipId: id });
  await db.collection(CLIPS).updateOne({ _id: id }, { $set: { finalFrames: 0 }, $unset: { pose: '' } });
}

/** Frames from..to (inclusive) of a clip that are stored, in frame order. */
export async function readFrames(clipId: string, from: number, to: number, opts: { db?: Db } = {}): Promise<PoseFrame[]> {
  const id = toClipObjectId(clipId);
  const frames = await framesCollection(opts.db);
  const docs = await frames
    .find({ clipId: id, frame: { $gte: from, $lte: to } }, { projection: { _id: 0, frame: 1, timestamp: 1, persons: 1 }, sort: { frame: 1 } })
    .toArray();
  return docs.map(decodeFrame);
}

/** The sequence metadata stored on the clip document, or null when no result was stored for the clip. */
export async function readPoseMeta(clipId: string, opts: { db?: Db } = {}): Promise<StoredPoseMeta | null> {
  const id = toClipObjectId(clipId);
  const db = opts.db ?? (await getDb());
  const clip = await db.collection(CLIPS).findOne<{ pose?: StoredPoseMeta }>({ _id: id }, { projection: { pose: 1 } });
  return clip?.pose ?? null;
}

/**
 * The whole stored sequence, or null when the clip (or its result) does not exist. Throws when frames are
 * missing (expired by FRAMES_TTL_DAYS, or deleted): a PoseSequence has every frame, and silently
 * returning a sequence with holes would shift everything drawn after them.
 */
export async function loadSequence(clipId: string, opts: { db?: Db } = {}): Promise<PoseSequence | null> {
  const stored = await readPoseMeta(clipId, opts);
  if (!stored) return null;
  const { smpl: _hasSmpl, ...meta } = stored;
  const frames = await readFrames(clipId, 0, meta.frame_count - 1, opts);
  if (frames.length !== meta.frame_count)
    throw new FrameStoreError(
      `clip ${clipId}: ${frames.length} of ${meta.frame_count} frames are stored (expired through FRAMES_TTL_DAYS or deleted); run the clip again`,
    );
  return { ...meta, frames };
}

/** Removes every frame document of a clip and the clip's pose metadata; returns the number of frames removed. */
export async function deleteFrames(clipId: string, opts: { db?: Db } = {}): Promise<number> {
  const id = toClipObjectId(clipId);
  const db = opts.db ?? (await getDb());
  const res = await (await framesCollection(db)).deleteMany({ clipId: id });
  await db.collection(CLIPS).updateOne({ _id: id }, { $unset: { pose: '' } });
  return res.deletedCount;
}

/**
 * Gives `toClipId` the stored result of `fromClipId` (an earlier upload of the same video): its frames,
 * copied inside the server ($merge, no round trip through Node), and its pose metadata. Replaces whatever
 * the target had. Expiry is set afresh (FRAMES_TTL_DAYS) for the copies.
 */
export async function copyFrames(fromClipId: string, toClipId: string, opts: { db?: Db } = {}): Promise<SaveResult> {
  const from = toClipObjectId(fromClipId);
  const to = toClipObjectId(toClipId);
  if (from.equals(to)) throw new FrameStoreError('copyFrames: source and target clip are the same');
  const db = opts.db ?? (await getDb());
  const meta = await readPoseMeta(fromClipId, { db });
  if (!meta) throw new FrameStoreError(`clip ${fromClipId} has no stored result to copy`);
  const target = await db.collection(CLIPS).findOne({ _id: to }, { projection: { _id: 1 } });
  if (!target) throw new FrameStoreError(`clip ${toClipId} not found`);

  const frames = await framesCollection(db);
  await frames.deleteMany({ clipId: to });
  const expiresAt = expiresAtFromConfig();
  await frames
    .aggregate([
      { $match: { clipId: from } },
      { $project: { _id: 0, frame: 1, timestamp: 1, persons: 1 } },
      { $set: expiresAt ? { clipId: to, expiresAt } : { clipId: to } },
      { $merge: { into: FRAMES, on: ['clipId', 'frame'], whenMatched: 'replace', whenNotMatched: 'insert' } },
    ])
    .toArray();
  const [counts] = await frames
    .aggregate<{ frames: number; personFrames: number }>([
      { $match: { clipId: to } },
      { $group: { _id: null, frames: { $sum: 1 }, personFrames: { $sum: { $size: '$persons' } } } },
    ])
    .toArray();
  await db.collection(CLIPS).updateOne({ _id: to }, { $set: { pose: meta } });
  return { frames: counts?.frames ?? 0, personFrames: counts?.personFrames ?? 0 };
}
