import fsp from 'node:fs/promises';
import { ObjectId } from 'mongodb';
import { getConfig } from '../config';
import { isMongoUnavailable } from '../db';
import { copyFrames, deleteFrames } from '../frames/repo';
import { log } from '../log';
import {
  cancelClipJob,
  clipJobState,
  enqueueClip,
  listWorkers,
  publishClipChanged,
  QueueUnavailableError,
  queueStatus,
  withQueueTimeout,
} from '../queue';
import { uploadMetrics } from '../metrics/app';
import { blobStore, clipKeys } from '../storage';
import { uploadsDir } from '../storage/layout';
import { HttpError, receiveUpload, type ReceivedFile, type StoredUpload } from '../upload';
import { validateVideo } from '../video/probe';
import {
  clipsCollection,
  createClip,
  deleteClipDoc,
  findDoneClipBySha,
  getClipDoc,
  insertClipDoc,
  toClipDTO,
  updateClip,
  queuedState,
  updateClipIf,
  toSharedClipView,
  type ClipDoc,
} from './repo';
import { sharesCollection } from '../auth/collections';
import type { Actor } from '../auth/identity';
import { isUser, NO_SUCH_CLIP, requireClip } from '../auth/policy';
import { storageUsedBy } from './ownership';
import type { ClipDTO } from './types';

/**
 * What the HTTP API does with clips, in domain terms. Route handlers call these and translate
 * HttpError into a response.
 */

/**
 * POST /api/clips: stream to disk, check it is a video, then queue it (or re-use an identical earlier upload).
 *
 * Outages: without MongoDB there is no clip to keep, so the answer is 503 and the received file is
 * deleted. Without Redis the clip is KEPT, queued in MongoDB: the upload (possibly large, over a slow
 * link) is not thrown away for a queue blip, and the workers' reconciler (requeueOrphanedClips) adds
 * the missing job once Redis answers again.
 */
export async function acceptUpload(actor: Actor, request: Request): Promise<ClipDTO> {
  if (!isUser(actor)) throw new HttpError(401, 'Sign in to upload clips.');
  const ownerId = actor.userId;
  const { dataDir, maxUploadBytes } = getConfig();
  const started = Date.now();
  try {
    const file = await receiveWithinQuota(ownerId, request, dataDir, maxUploadBytes);
    const clip = await acceptReceivedFile(ownerId, file, started);
    uploadMetrics.accepted();
    return clip;
  } catch (err) {
    uploadMetrics.rejected(err);
    throw err;
  }
}

/** Where the next upload's bytes go: the clip id is chosen first, so the bytes stream straight to their key. */
export function newUploadTarget(): { clipId: ObjectId; key: string } {
  const clipId = new ObjectId();
  return { clipId, key: clipKeys(clipId.toHexString()).source };
}

/** A file under DATA_DIR/uploads (ReceivedFile) goes into the store under a new clip id; the local file is removed. */
async function storeLocalFile(file: ReceivedFile): Promise<StoredUpload> {
  const { clipId, key } = newUploadTarget();
  try {
    await blobStore().putFile(key, file.tmpPath);
  } catch (err) {
    await blobStore().delete(key).catch(() => {});
    throw err;
  } finally {
    await fsp.rm(file.tmpPath, { force: true });
  }
  const local = blobStore().localPath(key);
  return {
    clipId,
    key,
    localPath: local ?? file.tmpPath,
    release: async () => {},
    filename: file.filename,
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    ...(local ? {} : await probeCopyOf(key)),
  };
}

/** For a store that keeps blobs elsewhere: a local copy to probe, removed by release(). */
async function probeCopyOf(key: string): Promise<{ localPath: string; release: () => Promise<void> }> {
  const localPath = `${uploadsDir(getConfig().dataDir)}/${new ObjectId().toHexString()}.probe`;
  await blobStore().fetchToFile(key, localPath);
  return { localPath, release: () => fsp.rm(localPath, { force: true }) };
}

/**
 * Bytes already in the blob store (an upload streamed in) or a file received under DATA_DIR/uploads
 * (a copy from IMPORT_DIR for POST /pose/video) become a clip of `ownerId`: checked to be a whole video,
 * then queued (or an identical earlier upload's results re-used). On any failure the clip's blobs and
 * any local copy are deleted.
 */
export async function acceptReceivedFile(ownerId: string, received: ReceivedFile | StoredUpload, started = Date.now()): Promise<ClipDTO> {
  const file = 'tmpPath' in received ? await storeLocalFile(received) : received;
  const clipId = file.clipId.toHexString();
  let created: ClipDoc | null = null;
  try {
    // a whole video: one that is one (415), gives a frame, and holds every frame its index promises (422)
    const check = await validateVideo(file.localPath);
    if (!check.ok) throw new HttpError(check.status, check.reason);

    const earlier = await findDoneClipBySha(file.sha256, ownerId);
    const clip = earlier
      ? await reuseResults(earlier, file.clipId, file.filename)
      : await createClip({ id: file.clipId, ownerId, filename: file.filename, sha256: file.sha256, sizeBytes: file.sizeBytes, video: check.info });
    created = clip;
    await file.release();
    let queued = true;
    if (!earlier) {
      queued = await withQueueTimeout(enqueueClip(clip._id.toHexString()), 'queueing the upload').then(
        () => true,
        (err) => {
          log.warn('clip.enqueue-deferred', { clipId: clip._id.toHexString(), error: err });
          return false;
        },
      );
    }
    log.info('clip.uploaded', {
      clipId: clip._id.toHexString(),
      bytes: file.sizeBytes,
      ms: Date.now() - started,
      reusedFrom: clip.reusedFrom,
      queued,
    });
    return toClipDTO(clip);
  } catch (err) {
    await file.release().catch(() => {});
    if (created) await forgetClip(clipId);
    else await blobStore().deletePrefix(clipKeys(clipId).prefix).catch((e) => log.error('clip.forget-blobs-failed', { clipId, error: e }));
    if (isMongoUnavailable(err)) {
      throw new HttpError(503, 'The clip database (MongoDB) is not reachable right now, so the upload was not kept. Please try again in a moment.');
    }
    throw err;
  }
}

/**
 * The account's storage quota (MAX_STORAGE_BYTES_PER_ACCOUNT) is checked before anything is stored:
 * a declared Content-Length over what is left is refused at once, and the streaming limit is what is
 * left, so an upload that lies about its length is cut off as soon as it passes it. (Two uploads of
 * one account at the same moment may each pass; the next upload then sees the total.)
 */
async function receiveWithinQuota(ownerId: string, request: Request, dataDir: string, maxUploadBytes: number): Promise<StoredUpload> {
  const { clipId, key } = newUploadTarget();
  const receive = async (maxBytes: number): Promise<StoredUpload> => {
    const got = await receiveUpload(request, { store: blobStore(), key, dataDir, maxBytes, onBytes: (n) => uploadMetrics.bytes(n) });
    return { ...got, clipId };
  };
  const quota = getConfig().maxStorageBytesPerAccount;
  if (!quota) return receive(maxUploadBytes);
  const used = await storageUsedBy(ownerId);
  const left = Math.max(0, quota - used);
  const overQuota = () =>
    new HttpError(
      413,
      `Storage quota reached: this account uses ${formatBytes(used)} of its ${formatBytes(quota)}, so ${formatBytes(left)} are left. Delete clips you no longer need to make room.`,
    );
  if (left === 0) throw overQuota();
  if (left >= maxUploadBytes) return receive(maxUploadBytes);
  try {
    return await receive(left);
  } catch (err) {
    if (err instanceof HttpError && err.status === 413) throw overQuota();
    throw err;
  }
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Undoes a half-accepted upload (best effort: the database may be the part that failed). */
async function forgetClip(clipId: string): Promise<void> {
  await deleteFrames(clipId).catch(() => {});
  await deleteClipDoc(clipId).catch((err) => log.error('clip.forget-failed', { clipId, error: err }));
  await blobStore().deletePrefix(clipKeys(clipId).prefix);
}

/**
 * The same content was processed before: copy its results instead of queueing GPU work twice.
 * The new clip gets its own blobs (copies within the store: hard links on disk) and its own frame
 * documents, so deleting either clip later leaves the other intact.
 */
async function reuseResults(earlier: ClipDoc, id: ObjectId, filename: string): Promise<ClipDoc> {
  const now = new Date();
  const doc: ClipDoc = {
    ...earlier,
    _id: id,
    filename,
    reusedFrom: earlier._id.toHexString(),
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: now,
    logTail: [],
  };
  const from = clipKeys(earlier._id.toHexString());
  const to = clipKeys(doc._id.toHexString());
  // a missing blob (e.g. no playable copy was needed) is simply not copied
  for (const key of ['playable', 'frameIndex', 'thumbnail'] as const) await blobStore().copy(from[key], to[key]);
  await insertClipDoc(doc);
  await copyFrames(earlier._id.toHexString(), doc._id.toHexString());
  return doc;
}

/** GET /api/clips/:id for a caller: 404 unless they may read it; a share viewer gets the minimal view. */
export async function getClipView(actor: Actor, id: string): Promise<ClipDTO> {
  await requireClip(actor, 'clip.read', id).catch((err) => {
    if (isMongoUnavailable(err)) throw new HttpError(503, 'The clip database (MongoDB) is not reachable right now; please try again in a moment.');
    throw err;
  });
  const view = await loadClipView(id);
  if (!view) throw new HttpError(404, NO_SUCH_CLIP);
  return actor.kind === 'share' ? toSharedClipView(view) : view;
}

/** A clip as the API shows it, with its place in the queue while it waits; no access check (callers do it). */
export async function loadClipView(id: string): Promise<ClipDTO | null> {
  const doc = await getClipDoc(id).catch((err) => {
    if (isMongoUnavailable(err)) throw new HttpError(503, 'The clip database (MongoDB) is not reachable right now; please try again in a moment.');
    throw err;
  });
  if (!doc) return null;
  let position: number | null = null;
  if (doc.status === 'queued') {
    // the position is a nicety: without Redis the clip is still answered, promptly
    const status = await withQueueTimeout(queueStatus(), 'reading the queue').catch(() => null);
    position = status?.queue.find((q) => q.clipId === id)?.position ?? null;
  }
  return toClipDTO(doc, position);
}

/** POST /api/clips/:id/cancel: stop the job, keep the clip (status canceled). */
export async function cancelClip(actor: Actor, id: string): Promise<ClipDTO> {
  await requireClip(actor, 'clip.update', id);
  const doc = await updateClipIf(id, ['queued', 'processing'], { status: 'canceled', etaSeconds: null, error: 'Canceled by the user.' });
  if (!doc) {
    const existing = await getClipDoc(id);
    if (!existing) throw new HttpError(404, 'No such clip.');
    throw new HttpError(409, `The clip is ${existing.status}; only a queued or processing clip can be canceled.`);
  }
  // Without Redis the clip is canceled all the same: a waiting job is dropped when a worker takes it
  // (its claim needs status queued/processing), a running one before it stores anything.
  const outcome = await withQueueTimeout(cancelClipJob(id), 'stopping the job').catch((err) => {
    if (!(err instanceof QueueUnavailableError)) throw err;
    log.warn('clip.cancel-deferred', { clipId: id, error: err });
    return 'deferred' as const;
  });
  log.info('clip.canceled', { clipId: id, outcome });
  await publishClipChanged(id);
  return toClipDTO(doc);
}

/** POST /api/clips/:id/retry: queue a failed or canceled clip again. */
export async function retryClip(actor: Actor, id: string): Promise<ClipDTO> {
  await requireClip(actor, 'clip.update', id);
  const doc = await updateClipIf(id, ['failed', 'canceled'], { ...queuedState(), finishedAt: null });
  if (!doc) {
    const existing = await getClipDoc(id);
    if (!existing) throw new HttpError(404, 'No such clip.');
    throw new HttpError(409, `The clip is ${existing.status}; only a failed or canceled clip can be retried.`);
  }
  // without Redis the clip stays queued in MongoDB and the reconciler adds its job later
  await withQueueTimeout(enqueueClip(id), 'queueing the retry').catch((err) => {
    if (!(err instanceof QueueUnavailableError)) throw err;
    log.warn('clip.enqueue-deferred', { clipId: id, error: err });
  });
  await publishClipChanged(id);
  return toClipDTO(doc);
}

/** DELETE /api/clips/:id: cancel a queued or running job (its processes are killed), then remove everything. */
export async function deleteClip(actor: Actor, id: string): Promise<void> {
  await requireClip(actor, 'clip.delete', id);
  await removeClip(id);
}

/** Removes a clip and everything of it (job, frames, files, share links); no access check (callers do it). */
export async function removeClip(id: string): Promise<void> {
  const doc = await getClipDoc(id);
  if (!doc) throw new HttpError(404, 'No such clip.');
  // mark first so a worker that is about to write sees the clip is going away
  await updateClip(id, { status: 'canceled', error: 'Deleted.' });
  // A running job must be stopped before its files go, or it would write them again: without Redis
  // the clip stays (canceled) and the person is asked to try again.
  const outcome = await withQueueTimeout(cancelClipJob(id), 'stopping the job').catch((err) => {
    if (!(err instanceof QueueUnavailableError)) throw err;
    throw new HttpError(503, 'The clip was stopped (canceled) but not deleted: the job queue (Redis) is not reachable right now. Please try deleting it again in a moment.');
  });
  await deleteFrames(id);
  await (await sharesCollection()).deleteMany({ clipId: id });
  await deleteClipDoc(id);
  await blobStore().deletePrefix(clipKeys(id).prefix);
  log.info('clip.deleted', { clipId: id, job: outcome });
  await publishClipChanged(id);
}

export interface ReconcileOptions {
  /** clips changed more recently than this are left alone (an upload between insert and enqueue, a job being claimed) */
  minAgeMs: number;
  /** clip ids this process is running right now */
  runningHere?: Iterable<string>;
}

export interface ReconcileResult {
  /** clips whose job was missing (or had ended before the clip was queued again): queued anew */
  requeued: string[];
  /** clips whose job had failed for good while the failure could not be written: now marked failed */
  markedFailed: string[];
}

/**
 * The reconciler: MongoDB says what should happen, Redis only holds the queue. A clip 'queued' or
 * 'processing' whose job Redis does not hold (Redis lost its data, the enqueue at upload failed) would
 * wait forever, so its job is added again. Workers run this at start and every minute; running it
 * twice at once is harmless (job id = clip id, an add of an existing id is a no-op).
 */
export async function requeueOrphanedClips(opts: ReconcileOptions): Promise<ReconcileResult> {
  const result: ReconcileResult = { requeued: [], markedFailed: [] };
  const clips = await clipsCollection();
  const candidates = await clips
    .find(
      { status: { $in: ['queued', 'processing'] }, updatedAt: { $lt: new Date(Date.now() - opts.minAgeMs) } },
      { projection: { _id: 1, status: 1, updatedAt: 1 } },
    )
    .toArray();
  if (!candidates.length) return result;
  // a live worker may be running a clip whose job Redis lost: its heartbeat says so
  const busy = new Set<string>(opts.runningHere ?? []);
  for (const w of await listWorkers()) for (const id of w.activeClipIds) busy.add(id);

  for (const clip of candidates) {
    const clipId = clip._id.toHexString();
    if (busy.has(clipId)) continue;
    const job = await clipJobState(clipId);
    if (['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'].includes(job.state)) continue;
    // a job that ended after the clip's last change failed for good while its worker could not record it
    if (job.state === 'failed' && job.finishedOn !== null && job.finishedOn >= clip.updatedAt.getTime()) {
      const failed = await updateClipIf(clipId, ['queued', 'processing'], {
        status: 'failed',
        etaSeconds: null,
        error: job.failedReason ?? 'The job failed.',
        finishedAt: new Date(job.finishedOn),
      });
      if (failed) {
        result.markedFailed.push(clipId);
        await publishClipChanged(clipId);
      }
      continue;
    }
    // the status first: once the job is added a worker may claim the clip at any moment
    if (clip.status === 'processing') {
      await updateClipIf(clipId, ['processing'], queuedState());
    }
    await enqueueClip(clipId);
    log.warn('clip.requeued', { clipId, jobState: job.state, clipStatus: clip.status });
    result.requeued.push(clipId);
    await publishClipChanged(clipId);
  }
  return result;
}
