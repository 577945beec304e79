import { Readable } from 'node:stream';
import { loadSequence, readFrames, readPoseMeta } from '../frames/repo';
import { log } from '../log';
import { encodePoseSequence } from '../pose/compact';
import { blobStore, clipKeys } from '../storage';
import type { PoseFrame } from '../pose/types';
import type { BlobInfo } from '../storage/blob-store';
import type { FrameIndex } from '../video/types';
import type { ClipDoc } from './repo';

/**
 * The player's poses payload (lib/pose/compact.ts) is built from MongoDB once per result version and
 * kept as a blob beside the clip's other blobs (clips/<id>/poses/<version>.bin); every later request
 * is served from the store like a static file (ETag). A result version changes only when a job
 * finishes again (finishedAt), and with the payload format ('psq1').
 */
export function posesVersion(clip: Pick<ClipDoc, 'finishedAt' | 'updatedAt'>): string {
  return `psq1-${(clip.finishedAt ?? clip.updatedAt).getTime()}`;
}

/** Builds in progress in this process, so concurrent first requests build once. */
const building = new Map<string, Promise<string | null>>();

/** The key of the clip's poses payload for its current result, built and stored if not there yet; null when it has no stored poses. */
export async function posesBlob(clip: ClipDoc): Promise<string | null> {
  // only a finished result is cached: a payload built while tracking runs would be served as final
  if (clip.status !== 'done') throw new Error(`poses payload: clip ${clip._id.toHexString()} is ${clip.status}; only a done clip's payload is stored`);
  const id = clip._id.toHexString();
  const keys = clipKeys(id);
  const key = keys.poses(posesVersion(clip));
  const store = blobStore();
  if (await store.stat(key)) return key;
  let job = building.get(key);
  if (!job) {
    job = build(id, key).finally(() => building.delete(key));
    building.set(key, job);
  }
  return job;
}

/**
 * Payloads read from the store are kept in memory by key, up to 64 MiB per process (least recently
 * used go first): a key's bytes never change (the result version is part of it), so a player's
 * request costs no store read. Null when the clip has no stored poses.
 */
const MEMORY_LIMIT = 64 * 1024 * 1024;
/** A poses payload; `held`: kept in this process's memory (so copies made of it, e.g. compressed, may be kept too). */
export interface PosesPayload {
  info: BlobInfo;
  bytes: Buffer;
  held: boolean;
}
const memory = new Map<string, PosesPayload>();
let memoryBytes = 0;
const reading = new Map<string, Promise<PosesPayload | null>>();

export async function posesPayload(clip: ClipDoc): Promise<PosesPayload | null> {
  const key = clipKeys(clip._id.toHexString()).poses(posesVersion(clip));
  const hit = memory.get(key);
  if (hit) {
    memory.delete(key);
    memory.set(key, hit);
    return hit;
  }
  let job = reading.get(key);
  if (!job) {
    job = (async () => {
      const stored = await posesBlob(clip);
      const store = blobStore();
      const info = stored ? await store.stat(stored) : null;
      if (!stored || !info) return null;
      const chunks: Buffer[] = [];
      for await (const c of await store.read(stored)) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      const entry = { info, bytes, held: bytes.length <= MEMORY_LIMIT / 4 };
      if (entry.held) {
        memory.set(key, entry);
        memoryBytes += entry.bytes.length;
        for (const [k, e] of memory) {
          if (memoryBytes <= MEMORY_LIMIT) break;
          memory.delete(k);
          memoryBytes -= e.bytes.length;
        }
      }
      return entry;
    })().finally(() => reading.delete(key));
    reading.set(key, job);
  }
  return job;
}

async function build(id: string, key: string): Promise<string | null> {
  const t0 = Date.now();
  const seq = await loadSequence(id);
  if (!seq) return null;
  const body = encodePoseSequence(seq);
  const store = blobStore();
  await store.putStream(key, Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]), { contentType: 'application/octet-stream' });
  // payloads of earlier results of this clip are of no use any more
  for (const old of await store.list(clipKeys(id).posesPrefix)) if (old.key !== key) await store.delete(old.key);
  log.info('poses.built', { clipId: id, bytes: body.byteLength, ms: Date.now() - t0 });
  return key;
}

/**
 * Results while tracking runs: the poses payload of a processing clip, built from what is stored now and
 * never cached. It has the clip's every frame: frames 0..finalFrames-1 as stored (final), the rest as
 * placeholders with their timestamps and nobody in them (`persons: []`) that the page replaces as
 * they become final. Null while no frame is final yet.
 */
export async function partialPoses(clip: ClipDoc): Promise<{ body: Uint8Array; finalFrames: number; totalFrames: number } | null> {
  const id = clip._id.toHexString();
  const finalFrames = clip.finalFrames ?? 0;
  if (clip.status !== 'processing' || finalFrames === 0) return null;
  const meta = await readPoseMeta(id);
  if (!meta) return null;
  const { smpl: _smpl, ...seqMeta } = meta;
  const stored = await readFrames(id, 0, finalFrames - 1);
  const pts = await framePts(id);
  const frames: PoseFrame[] = stored.slice();
  for (let i = frames.length; i < meta.frame_count; i++) frames.push({ frame_number: i, timestamp: pts?.[i] ?? i / meta.fps, persons: [] });
  return { body: encodePoseSequence({ ...seqMeta, frames }), finalFrames: stored.length, totalFrames: meta.frame_count };
}

/** Each frame's presentation time from the clip's frame index (written before tracking starts); null when absent. */
async function framePts(id: string): Promise<number[] | null> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of await blobStore().read(clipKeys(id).frameIndex)) chunks.push(c as Buffer);
    return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as FrameIndex).pts;
  } catch {
    return null;
  }
}
