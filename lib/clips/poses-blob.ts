import { Readable } from 'node:stream';
import { loadSequence } from '../frames/repo';
import { log } from '../log';
import { encodePoseSequence } from '../pose/compact';
import { blobStore, clipKeys } from '../storage';
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
