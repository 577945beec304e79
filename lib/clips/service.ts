import fsp from 'node:fs/promises';
import { ObjectId } from 'mongodb';
import { getConfig } from '../config';
import { copyFrames, deleteFrames } from '../frames/repo';
import { log } from '../log';
import { cancelClipJob, enqueueClip, publishClipChanged, queueStatus } from '../queue';
import { clipLayout } from '../storage/layout';
import { HttpError, receiveUpload } from '../upload';
import { missingFrames } from '../video/completeness';
import { validateVideo } from '../video/probe';
import {
  createClip,
  deleteClipDoc,
  findDoneClipBySha,
  getClipDoc,
  insertClipDoc,
  toClipDTO,
  updateClip,
  updateClipIf,
  type ClipDoc,
} from './repo';
import type { ClipDTO } from './types';

/**
 * What the HTTP API does with clips, in domain terms. Route handlers call these and translate
 * HttpError into a response.
 */

/** POST /api/clips: stream to disk, check it is a video, then queue it (or re-use an identical earlier upload). */
export async function acceptUpload(request: Request): Promise<ClipDTO> {
  const { dataDir, maxUploadBytes } = getConfig();
  const started = Date.now();
  const file = await receiveUpload(request, dataDir, maxUploadBytes);
  try {
    const check = await validateVideo(file.tmpPath);
    if (!check.ok) throw new HttpError(check.status, check.reason);
    const missing = await missingFrames(file.tmpPath);
    if (missing) {
      throw new HttpError(
        422,
        `This video is incomplete: its index lists ${missing.promised} frames but only ${missing.present} are in the file, so it was probably cut off during the upload or copy. Please upload the whole file.`,
      );
    }

    const earlier = await findDoneClipBySha(file.sha256);
    const clip = earlier
      ? await reuseResults(earlier, file.filename)
      : await createClip({ filename: file.filename, sha256: file.sha256, sizeBytes: file.sizeBytes, video: check.info });
    const layout = clipLayout(dataDir, clip._id.toHexString());
    await fsp.mkdir(layout.dir, { recursive: true });
    await fsp.rename(file.tmpPath, layout.source);
    if (!earlier) await enqueueClip(clip._id.toHexString());
    log.info('clip.uploaded', {
      clipId: clip._id.toHexString(),
      bytes: file.sizeBytes,
      ms: Date.now() - started,
      reusedFrom: clip.reusedFrom,
    });
    return toClipDTO(clip);
  } catch (err) {
    await fsp.rm(file.tmpPath, { force: true });
    throw err;
  }
}

/**
 * The same content was processed before: copy its results instead of queueing GPU work twice.
 * The new clip gets its own files (hard links where possible) and its own frame documents, so
 * deleting either clip later leaves the other intact.
 */
async function reuseResults(earlier: ClipDoc, filename: string): Promise<ClipDoc> {
  const { dataDir } = getConfig();
  const now = new Date();
  const doc: ClipDoc = {
    ...earlier,
    _id: new ObjectId(),
    filename,
    reusedFrom: earlier._id.toHexString(),
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: now,
    logTail: [],
  };
  const from = clipLayout(dataDir, earlier._id.toHexString());
  const to = clipLayout(dataDir, doc._id.toHexString());
  await fsp.mkdir(to.dir, { recursive: true });
  for (const key of ['playable', 'frameIndex', 'thumbnail'] as const) {
    await linkOrCopy(from[key], to[key]);
  }
  await insertClipDoc(doc);
  await copyFrames(earlier._id.toHexString(), doc._id.toHexString());
  return doc;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fsp.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // the earlier clip had no such file (e.g. no playable copy needed)
    await fsp.copyFile(from, to);
  }
}

/** GET /api/clips/:id, with the clip's place in the queue while it waits. */
export async function getClipView(id: string): Promise<ClipDTO | null> {
  const doc = await getClipDoc(id);
  if (!doc) return null;
  let position: number | null = null;
  if (doc.status === 'queued') {
    const status = await queueStatus().catch(() => null);
    position = status?.queue.find((q) => q.clipId === id)?.position ?? null;
  }
  return toClipDTO(doc, position);
}

/** POST /api/clips/:id/cancel: stop the job, keep the clip (status canceled). */
export async function cancelClip(id: string): Promise<ClipDTO> {
  const doc = await updateClipIf(id, ['queued', 'processing'], { status: 'canceled', etaSeconds: null, error: 'Canceled by the user.' });
  if (!doc) {
    const existing = await getClipDoc(id);
    if (!existing) throw new HttpError(404, 'No such clip.');
    throw new HttpError(409, `The clip is ${existing.status}; only a queued or processing clip can be canceled.`);
  }
  const outcome = await cancelClipJob(id);
  log.info('clip.canceled', { clipId: id, outcome });
  await publishClipChanged(id);
  return toClipDTO(doc);
}

/** POST /api/clips/:id/retry: queue a failed or canceled clip again. */
export async function retryClip(id: string): Promise<ClipDTO> {
  const doc = await updateClipIf(id, ['failed', 'canceled'], {
    status: 'queued',
    stage: 'uploaded',
    progress: 0,
    etaSeconds: null,
    error: null,
    errorCode: null,
    logTail: [],
    runnerNote: null,
    finishedAt: null,
  });
  if (!doc) {
    const existing = await getClipDoc(id);
    if (!existing) throw new HttpError(404, 'No such clip.');
    throw new HttpError(409, `The clip is ${existing.status}; only a failed or canceled clip can be retried.`);
  }
  await enqueueClip(id);
  await publishClipChanged(id);
  return toClipDTO(doc);
}

/** DELETE /api/clips/:id: cancel a queued or running job (its processes are killed), then remove everything. */
export async function deleteClip(id: string): Promise<void> {
  const doc = await getClipDoc(id);
  if (!doc) throw new HttpError(404, 'No such clip.');
  // mark first so a worker that is about to write sees the clip is going away
  await updateClip(id, { status: 'canceled', error: 'Deleted.' });
  const outcome = await cancelClipJob(id);
  await deleteFrames(id);
  await deleteClipDoc(id);
  await fsp.rm(clipLayout(getConfig().dataDir, id).dir, { recursive: true, force: true });
  log.info('clip.deleted', { clipId: id, job: outcome });
  await publishClipChanged(id);
}
