/**
 * Export of a clip's motion: ONE entry point for the route (GET /api/clips/:id/export) and anything else.
 *
 *   const file = await exportClip(clipId, parseExportQuery(searchParams), { hideFilename });
 *   new Response(file.body, { headers: { 'content-type': file.contentType, 'content-disposition': ... } })
 *
 * Formats (one module each): json (./json.ts), csv (./csv.ts), bvh (./bvh.ts, zip for several athletes),
 * glb (./glb.ts), mp4 (./mp4.ts: the video with the overlay burned in, rendered by a worker; requestExport
 * answers its progress until the file is there). Options: from/to (inclusive frame range, default the whole clip), tracks (athletes,
 * default all present in the range), smooth (the frames API's zero-lag smoothing, lib/frames/smoothed.ts).
 * JSON and CSV stream frame batches from MongoDB; BVH solves each athlete's skeleton first, then streams
 * the text (zip entries deflated as they stream); GLB is a binary with one buffer and is built whole.
 * Errors that a caller can fix are thrown as ExportError (status + message) before any byte is sent.
 */
import type { Db } from 'mongodb';
import { getConfig } from '../config';
import { SmplEvaluator } from '../smpl/forward';
import { loadSmplModelCached } from '../smpl/load';
import type { SmplModel } from '../smpl/model';
import { athleteMotions, bvhStream } from './bvh';
import { csvExport } from './csv';
import { glbExport } from './glb';
import { jsonExport } from './json';
import { contentDisposition, exportBaseName, type NameParts } from './naming';
import { ExportError, openExportSource } from './source';
import { checkAngleNames } from './mp4-overlay';
import { renderedFile, renderProgressJson, requestMp4, type RequestMp4Context } from './mp4';
import type { ClipDoc } from '../clips/repo';

export { ExportError } from './source';
export { contentDisposition } from './naming';

export const EXPORT_FORMATS = ['json', 'csv', 'bvh', 'glb', 'mp4'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRequest {
  format: ExportFormat;
  from: number | null;
  to: number | null;
  tracks: number[] | null;
  smooth: boolean;
  /** mp4 only: joint angles printed on the picture (lib/pose/angles.ts names); absent = none */
  angles?: string[];
}

export interface ExportFile {
  filename: string;
  contentType: string;
  body: ReadableStream<Uint8Array>;
  /** bytes, when known before streaming (a rendered MP4) */
  size?: number;
}

function frameParam(name: string, raw: string | null): number | null {
  if (raw === null || raw.trim() === '') return null;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new ExportError(400, `${name} must be a whole frame number from 0 (got '${raw}')`);
  return Number(raw.trim());
}

/** Reads ?format=&from=&to=&tracks=1,3&smooth=1; throws ExportError(400) with a clear message on bad input. */
export function parseExportQuery(q: URLSearchParams): ExportRequest {
  const format = (q.get('format') ?? '').trim().toLowerCase();
  if (!format) throw new ExportError(400, `format is required: one of ${EXPORT_FORMATS.join(', ')}`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ExportError(400, `format must be one of ${EXPORT_FORMATS.join(', ')} (got '${format}')`);
  const from = frameParam('from', q.get('from'));
  const to = frameParam('to', q.get('to'));
  if (from !== null && to !== null && from > to) throw new ExportError(400, `from (${from}) must not be after to (${to})`);
  const tracksRaw = (q.get('tracks') ?? '').trim();
  let tracks: number[] | null = null;
  if (tracksRaw && tracksRaw !== 'all') {
    if (!/^\d{1,9}(,\d{1,9})*$/.test(tracksRaw.replace(/\s+/g, ''))) throw new ExportError(400, `tracks must be athlete numbers separated by commas, e.g. tracks=1,3 (got '${tracksRaw}')`);
    tracks = tracksRaw.replace(/\s+/g, '').split(',').map(Number);
  }
  const smoothRaw = (q.get('smooth') ?? '').trim();
  if (!['', '0', '1', 'true', 'false'].includes(smoothRaw)) throw new ExportError(400, `smooth must be 1 or 0 (got '${smoothRaw}')`);
  const req: ExportRequest = { format: format as ExportFormat, from, to, tracks, smooth: smoothRaw === '1' || smoothRaw === 'true' };
  const anglesRaw = (q.get('angles') ?? '').replace(/\s+/g, '');
  if (anglesRaw) {
    if (format !== 'mp4') throw new ExportError(400, `angles is an option of format=mp4 only (the other formats carry every joint angle)`);
    const names = [...new Set(anglesRaw.split(',').filter(Boolean))];
    const unknown = checkAngleNames(names);
    if (unknown.length) throw new ExportError(400, `unknown joint angle${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (see the README's angle table, e.g. angles=left_knee_flexion,right_knee_flexion)`);
    req.angles = names;
  }
  return req;
}

const evaluators = new WeakMap<SmplModel, SmplEvaluator>();

/** The SMPL forward pass for the GLB mesh, or why there is none (no model file: skeleton only). */
async function bodyModel(path: string): Promise<{ smpl: SmplEvaluator | null; note: string }> {
  try {
    const model = await loadSmplModelCached(path);
    let ev = evaluators.get(model);
    if (!ev) evaluators.set(model, (ev = new SmplEvaluator(model)));
    return { smpl: ev, note: 'SMPL' };
  } catch (err) {
    return { smpl: null, note: `no SMPL body model (${(err as Error).message}): skeletons only` };
  }
}

function streamOf(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const it: AsyncIterator<string | Uint8Array> | Iterator<string | Uint8Array> =
    Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(typeof value === 'string' ? enc.encode(value) : value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export interface ExportContext {
  db?: Db;
  /** true for callers who may not see the upload's file name (share viewers): names say clip-<id> */
  hideFilename?: boolean;
  /** defaults to SMPL_MODEL_PATH */
  smplModelPath?: string;
}

export async function exportClip(clipId: string, req: ExportRequest, ctx: ExportContext = {}): Promise<ExportFile> {
  const src = await openExportSource(clipId, { from: req.from, to: req.to, tracks: req.tracks, smooth: req.smooth }, { db: ctx.db });
  const names: NameParts = { clipId, filename: ctx.hideFilename ? null : src.filename, from: src.from, to: src.to, tracks: src.tracks, smoothed: src.smoothed };
  const base = exportBaseName(names);
  const clipLabel = base.split('_frames-')[0];
  switch (req.format) {
    case 'json':
      return { filename: `${base}.json`, contentType: 'application/json; charset=utf-8', body: streamOf(jsonExport(src)) };
    case 'csv':
      return { filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8; header=present', body: streamOf(csvExport(src, clipLabel)) };
    case 'bvh': {
      if (src.tracks.length === 0) throw new ExportError(422, `nobody is present in frames ${src.from}..${src.to}: no skeleton to export`);
      const motions = athleteMotions(src, await src.allFrames());
      const zip = motions.length > 1;
      return { filename: `${base}.${zip ? 'zip' : 'bvh'}`, contentType: zip ? 'application/zip' : 'application/octet-stream', body: streamOf(bvhStream(motions, names)) };
    }
    case 'glb': {
      if (src.tracks.length === 0) throw new ExportError(422, `nobody is present in frames ${src.from}..${src.to}: nothing to export`);
      const model = await bodyModel(ctx.smplModelPath ?? getConfig().smplModelPath);
      const bytes = await glbExport(src, { smpl: model.smpl, smplNote: model.note });
      return { filename: `${base}.glb`, contentType: 'model/gltf-binary', body: new Blob([bytes as BlobPart]).stream() };
    }
    case 'mp4':
      throw new ExportError(400, 'mp4 is rendered by a worker: use requestExport (GET /api/clips/:id/export?format=mp4 answers 202 with its progress, then the file)');
  }
}

/** What the export endpoint answers: a file, or (mp4 while it renders) the render's state as JSON. */
export type ExportOutcome = { kind: 'file'; file: ExportFile } | { kind: 'pending'; status: 202 | 500; json: Record<string, unknown> };

/**
 * The export endpoint's one call. `onCounted` (the hourly export allowance) is called for a download and
 * for the request that queues a render, not for the polls of a render in progress.
 */
export async function requestExport(clip: ClipDoc, req: ExportRequest, ctx: ExportContext & Pick<RequestMp4Context, 'onCounted'> = {}): Promise<ExportOutcome> {
  if (req.format !== 'mp4') {
    await ctx.onCounted?.();
    return { kind: 'file', file: await exportClip(clip._id.toHexString(), req, ctx) };
  }
  const state = await requestMp4(clip, { from: req.from, to: req.to, tracks: req.tracks, smooth: req.smooth, angles: req.angles ?? [] }, ctx);
  if (state.status === 'done') return { kind: 'file', file: { filename: state.filename, contentType: 'video/mp4', body: await renderedFile(state.key), size: state.size } };
  return { kind: 'pending', status: state.status === 'failed' ? 500 : 202, json: renderProgressJson(state) };
}

/** Headers for a download response of an export. */
export function downloadHeaders(file: ExportFile): Record<string, string> {
  return {
    'content-type': file.contentType,
    'content-disposition': contentDisposition(file.filename),
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    ...(file.size !== undefined ? { 'content-length': String(file.size) } : {}),
  };
}
