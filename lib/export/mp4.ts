/**
 * `format=mp4`: the clip's video with the overlay burned in, rendered by a worker.
 *
 * - The web process (requestMp4) validates the request like every export (lib/export/source.ts), then
 *   looks for the finished file in the blob store under a key made of the clip's RESULT VERSION (the
 *   poses payload's version, lib/clips/poses-blob.ts: it changes whenever a job finishes again) and the
 *   resolved options (range, athletes, smoothing, angles). There: the file (200). Not there: the render
 *   job's state — queued or running with its progress (202) — after queueing it if nobody has.
 * - Render jobs have their own BullMQ queue (`export-render`, job id = the cache key), taken by every
 *   worker process next to its pose jobs with their own slot (worker/render-jobs.ts): a render never
 *   waits behind tracking, nor tracking behind a render.
 * - The worker (renderMp4Job) writes the overlay script (mp4-overlay.ts) from the stored frames, with the
 *   mesh silhouette (mp4-silhouette.ts) when the clip has SMPL parameters and the SMPL model file
 *   (SMPL_MODEL_PATH) is there, renders (mp4-render.ts) in its scratch folder and puts the file into the
 *   store (disk or GridFS), removing the renders of earlier result versions of the clip.
 * - Deleting the clip removes its renders with its other blobs (lib/clips/service.ts removeClip: the
 *   clip's whole prefix). A render that ends while the clip is deleted, or after its results changed
 *   (run again), checks the clip AFTER storing its file and deletes the file if the clip is gone or its
 *   result version is not the one rendered: with the delete's order (document, then blobs) no render
 *   outlives its clip.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import type { Db } from 'mongodb';
import { clipVideoBlob } from '../clips/files';
import { posesVersion } from '../clips/poses-blob';
import { getConfig } from '../config';
import { getDb } from '../db';
import { SmplEvaluator } from '../smpl/forward';
import { loadSmplModelCached } from '../smpl/load';
import { CLIPS, toClipObjectId } from '../frames/repo';
import { listWorkers } from '../queue';
import { bullConnection } from '../redis';
import { blobStore, clipKeys } from '../storage';
import { workRoot } from '../storage/layout';
import { overlayScript } from './mp4-overlay';
import { SilhouetteTracer } from './mp4-silhouette';
import { probeTimeline, renderOverlayVideo } from './mp4-render';
import { exportBaseName, type NameParts } from './naming';
import { ExportError, openExportSource, type ExportSource } from './source';

export const RENDER_QUEUE = 'export-render';
/** bump when the drawing or the encoding changes: earlier renders are then not served any more */
export const MP4_RENDER_REVISION = 'r2';

export interface Mp4Options {
  from: number | null;
  to: number | null;
  tracks: number[] | null;
  smooth: boolean;
  /** joint angle names to print (lib/pose/angles.ts) */
  angles: string[];
}

export interface RenderJobData {
  clipId: string;
  /** the result version the render was asked for */
  version: string;
  key: string;
  options: Mp4Options;
  /** draw the SMPL mesh silhouette (the web process saw the model file and the clip has SMPL parameters) */
  bodyModel?: boolean;
}

export type RenderState =
  | { status: 'done'; key: string; size: number; filename: string }
  | { status: 'queued' | 'running'; progress: number; jobId: string; workers: number; filename: string }
  | { status: 'failed'; error: string; jobId: string; filename: string };

type ClipVersionFields = { _id: { toHexString(): string }; finishedAt?: Date | null; updatedAt?: Date | null };

/** The clip's result version (lib/clips/poses-blob.ts posesVersion). */
export function resultVersion(clip: ClipVersionFields): string {
  if (!clip.finishedAt && !clip.updatedAt) return 'v0';
  return posesVersion({ finishedAt: clip.finishedAt ?? null, updatedAt: clip.updatedAt ?? clip.finishedAt! });
}

/**
 * Store key and job id of a render: result version + the resolved options + the body model file drawn
 * with (`body`: its size and mtime, null without one), so placing or replacing the model renders again.
 */
export function renderKey(clipId: string, version: string, src: Pick<ExportSource, 'from' | 'to' | 'tracks' | 'smoothed'>, angles: string[], body: string | null = null): { key: string; jobId: string } {
  const what = JSON.stringify({ r: MP4_RENDER_REVISION, from: src.from, to: src.to, tracks: src.tracks, smooth: src.smoothed, angles, body });
  const hash = createHash('sha256').update(what).digest('hex').slice(0, 20);
  return { key: `${exportsPrefix(clipId)}${version}-${hash}.mp4`, jobId: `mp4-${clipId}-${version}-${hash}` };
}

export function exportsPrefix(clipId: string): string {
  return `${clipKeys(clipId).prefix}exports/`;
}

let queue: Queue<RenderJobData> | null = null;

export function renderQueue(): Queue<RenderJobData> {
  if (!queue) {
    queue = new Queue<RenderJobData>(RENDER_QUEUE, { connection: bullConnection() });
    queue.on('error', () => {});
  }
  return queue;
}

export async function closeRenderQueue(): Promise<void> {
  const q = queue;
  queue = null;
  if (q) await q.close();
}

const JOB_OPTIONS = {
  attempts: 2,
  backoff: { type: 'fixed' as const, delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 500 },
  removeOnFail: { age: 24 * 3600, count: 500 },
};

export interface RequestMp4Context {
  db?: Db;
  /** defaults to SMPL_MODEL_PATH */
  smplModelPath?: string;
  hideFilename?: boolean;
  /** called once when this request starts a render or serves the file (not for progress polls): the hourly export allowance */
  onCounted?: () => Promise<void>;
}

/**
 * What GET /api/clips/:id/export?format=mp4 answers: the file when rendered, else the render's state
 * (queued once, here, when no job exists). Bad options throw ExportError before anything is queued.
 */
export async function requestMp4(clip: ClipVersionFields, opts: Mp4Options, ctx: RequestMp4Context = {}): Promise<RenderState> {
  const clipId = clip._id.toHexString();
  const src = await openExportSource(clipId, opts, { db: ctx.db });
  if (src.tracks.length === 0) throw new ExportError(422, `nobody is present in frames ${src.from}..${src.to}: no overlay to draw`);
  const names: NameParts = { clipId, filename: ctx.hideFilename ? null : src.filename, from: src.from, to: src.to, tracks: src.tracks, smoothed: src.smoothed };
  const filename = `${exportBaseName(names)}.mp4`;
  const version = resultVersion(clip);
  const body = src.hasSmpl && src.meta.intrinsics ? await bodyModelSignature(ctx.smplModelPath ?? getConfig().smplModelPath) : null;
  const { key, jobId } = renderKey(clipId, version, src, opts.angles, body);
  const store = blobStore();
  const done = await store.stat(key);
  if (done) {
    await ctx.onCounted?.();
    return { status: 'done', key, size: done.size, filename };
  }
  const q = renderQueue();
  let job = await q.getJob(jobId);
  let state = job ? await job.getState() : 'missing';
  if (job && state === 'failed') {
    const error = job.failedReason || 'the render failed';
    await job.remove().catch(() => {}); // asking again renders again
    return { status: 'failed', error, jobId, filename };
  }
  if (job && (state === 'completed' || state === 'unknown')) {
    await job.remove().catch(() => {}); // finished but its file is gone (deleted, or the store was reset)
    job = undefined;
  }
  if (!job) {
    if (!(await clipVideoBlob(clipId))) throw new ExportError(404, 'this clip has no stored video to draw on');
    await ctx.onCounted?.();
    const data: RenderJobData = { clipId, version, key, options: { from: src.from, to: src.to, tracks: src.tracks, smooth: src.smoothed, angles: opts.angles }, bodyModel: body !== null };
    job = await q.add('mp4', data, { ...JOB_OPTIONS, jobId });
    state = 'waiting';
  }
  const workers = (await listWorkers().catch(() => [])).length;
  const progress = typeof job.progress === 'number' ? job.progress : 0;
  return { status: state === 'active' ? 'running' : 'queued', progress: state === 'active' ? progress : 0, jobId, workers, filename };
}

/** "<size>-<mtime>" of the SMPL model file, or null when there is none (the render key's `body`). */
async function bodyModelSignature(file: string): Promise<string | null> {
  const info = await fsp.stat(file).catch(() => null);
  return info?.isFile() ? `${info.size}-${Math.round(info.mtimeMs)}` : null;
}

/**
 * The silhouette tracer of a render, or null (skeleton only): the model file is loaded (cached per file
 * version); one that does not load gives the skeleton alone, with the reason in `note`.
 */
async function silhouetteFor(src: ExportSource, modelPath: string): Promise<{ tracer: SilhouetteTracer | null; note: string }> {
  if (!src.hasSmpl || !src.meta.intrinsics) return { tracer: null, note: 'no SMPL parameters or no camera intrinsics: skeleton only' };
  try {
    const model = await loadSmplModelCached(modelPath);
    // without pose-corrective blend shapes: a few mm on the body, under a pixel of the traced mask, 3x cheaper
    const evaluator = new SmplEvaluator(model, { poseBlendShapes: false });
    return { tracer: new SilhouetteTracer(evaluator, src.meta.intrinsics, src.meta.width, src.meta.height), note: 'SMPL' };
  } catch (err) {
    return { tracer: null, note: `no usable SMPL body model (${(err as Error).message}): skeleton only` };
  }
}

/** The rendered file as a download body. */
export async function renderedFile(key: string): Promise<ReadableStream<Uint8Array>> {
  const body = await blobStore().read(key);
  return Readable.toWeb(body) as unknown as ReadableStream<Uint8Array>;
}

/** The JSON a 202/500 answer carries. */
export function renderProgressJson(s: Exclude<RenderState, { status: 'done' }>): Record<string, unknown> {
  if (s.status === 'failed') return { status: 'failed', format: 'mp4', error: s.error, filename: s.filename };
  return {
    status: s.status,
    format: 'mp4',
    progress: Math.round(s.progress * 1000) / 1000,
    filename: s.filename,
    ...(s.workers === 0 ? { note: 'no worker is running: the render starts when one does' } : {}),
  };
}

export interface RenderJobContext {
  signal?: AbortSignal;
  /** defaults to SMPL_MODEL_PATH */
  smplModelPath?: string;
  /** told why a render asked to draw the body draws the skeleton only */
  onNote?(note: string): void;
  /** 0..1 */
  onProgress?(fraction: number): void;
  db?: Db;
}

/**
 * The worker's side: renders one job's file into the store. Returns its key, frame count, and whether the
 * body silhouette was drawn; `stored` false when the clip was deleted or got new results during the render
 * (the file was then removed again).
 */
export async function renderMp4Job(data: RenderJobData, ctx: RenderJobContext = {}): Promise<{ key: string; frames: number; ms: number; scriptMs: number; silhouette: boolean; stored: boolean }> {
  const t0 = Date.now();
  const { clipId, key, options } = data;
  const db = ctx.db ?? (await getDb());
  const store = blobStore();
  const exists = await db.collection(CLIPS).countDocuments({ _id: toClipObjectId(clipId) }, { limit: 1 });
  if (!exists) throw new ExportError(404, `clip ${clipId} no longer exists`);
  const src = await openExportSource(clipId, options, { db });
  const video = await clipVideoBlob(clipId);
  if (!video) throw new ExportError(404, 'this clip has no stored video to draw on');

  const dir = path.join(workRoot(getConfig().dataDir), `render-${clipId}`, path.basename(key, '.mp4'));
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true });
  // the owner lets a later worker start tell an abandoned folder (worker/leftovers.ts)
  await fsp.writeFile(path.join(dir, 'owner.json'), JSON.stringify({ host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() }));
  try {
    const body = data.bodyModel ? await silhouetteFor(src, ctx.smplModelPath ?? getConfig().smplModelPath) : { tracer: null, note: '' };
    if (data.bodyModel && !body.tracer) ctx.onNote?.(body.note);
    const tracer = body.tracer;
    const silhouette = tracer ? (p: Parameters<SilhouetteTracer['outline']>[0]) => tracer.outline(p) : undefined;
    const s0 = Date.now();
    const scripts = await writeScripts(dir, overlayScript(src.meta, src.frames(), { tracks: src.tracks, angles: options.angles, timeOrigin: 0, silhouette }), FRAMES_PER_SCRIPT);
    const scriptMs = Date.now() - s0;
    const local = store.localPath(video.key) ?? path.join(dir, 'video');
    if (!store.localPath(video.key)) await store.fetchToFile(video.key, local);
    const timeline = await probeTimeline(local, src.meta.frame_count, ctx.signal);
    const out = path.join(dir, 'out.mp4');
    let last = 0;
    await renderOverlayVideo({
      video: local,
      timeline,
      scripts,
      framesPerScript: FRAMES_PER_SCRIPT,
      from: src.from,
      to: src.to,
      fps: src.meta.fps,
      graphFile: path.join(dir, 'graph.txt'),
      out,
      signal: ctx.signal,
      onProgress: (d, total) => {
        const f = total ? d / total : 1;
        if (f - last >= 0.01 || f === 1) {
          last = f;
          ctx.onProgress?.(f);
        }
      },
    });
    await store.putFile(key, out, { contentType: 'video/mp4' });
    const result = { key, frames: src.to - src.from + 1, ms: Date.now() - t0, scriptMs, silhouette: !!tracer };
    // the clip may have been deleted (its blobs with it) or run again while this rendered: checked after
    // the file is stored, so a delete that listed the blobs before it was there is seen here
    let stillWanted: boolean;
    try {
      stillWanted = await stillCurrent(db, clipId, data.version);
    } catch (err) {
      await store.delete(key).catch(() => {}); // not known to be wanted: removed, the job's retry renders again
      throw err;
    }
    if (!stillWanted) {
      await store.delete(key);
      return { ...result, stored: false };
    }
    // renders of earlier results of this clip are of no use any more
    const current = `${exportsPrefix(clipId)}${data.version}-`;
    for (const old of await store.list(exportsPrefix(clipId))) if (!old.key.startsWith(current)) await store.delete(old.key);
    return { ...result, stored: true };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rmdir(path.dirname(dir)).catch(() => {});
  }
}

/** Whether the clip still exists, is done, and has the result version a render was made for. */
async function stillCurrent(db: Db, clipId: string, version: string): Promise<boolean> {
  const clip = await db
    .collection(CLIPS)
    .findOne<ClipVersionFields & { status?: string }>({ _id: toClipObjectId(clipId) }, { projection: { status: 1, finishedAt: 1, updatedAt: 1 } });
  return !!clip && clip.status === 'done' && resultVersion(clip) === version;
}

/** Output frames per overlay script (see mp4-render.ts: libass scans its whole script every frame). */
export const FRAMES_PER_SCRIPT = 250;

/** Writes the overlay as scripts of `perScript` frames each (the header, then the frames' events); returns their paths. */
export async function writeScripts(dir: string, chunks: AsyncIterable<string>, perScript: number): Promise<string[]> {
  const files: string[] = [];
  let header: string | null = null;
  let ws: ReturnType<typeof createWriteStream> | null = null;
  let inFile = 0;
  const close = async () => {
    if (!ws) return;
    ws.end();
    await once(ws, 'close');
    ws = null;
  };
  try {
    for await (const c of chunks) {
      if (header === null) {
        header = c; // overlayScript yields the header first, then one chunk per frame
        continue;
      }
      if (!ws || inFile === perScript) {
        await close();
        const file = path.join(dir, `overlay-${String(files.length).padStart(4, '0')}.ass`);
        files.push(file);
        ws = createWriteStream(file);
        ws.write(header);
        inFile = 0;
      }
      inFile++;
      if (!ws.write(c)) await once(ws, 'drain');
    }
  } finally {
    await close();
  }
  return files;
}
