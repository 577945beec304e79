import type { Db } from 'mongodb';
import { getDb } from '../db';
import { CLIPS, FRAMES, readFrames, readPoseMeta, toClipObjectId, type PoseMeta } from '../frames/repo';
import { readSmoothedFrames } from '../frames/smoothed';
import type { PoseFrame } from '../pose/types';

/**
 * What an export reads: the stored sequence of a clip (lib/frames/repo), cut to a frame range and to the
 * chosen athletes, raw or smoothed (as the frames API smooths). Frames are read in batches, so streaming writers never hold the clip.
 */

export class ExportError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 410 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface SourceOptions {
  from?: number | null;
  to?: number | null;
  tracks?: number[] | null;
  smooth?: boolean;
}

export interface ExportSource {
  clipId: string;
  /** the clip's display name (its upload file name); the caller decides whether it may be shown */
  filename: string;
  meta: PoseMeta;
  /** whether any person of the clip carries SMPL parameters (PHALP results: a body mesh can be drawn) */
  hasSmpl: boolean;
  from: number;
  to: number;
  /** athletes exported: the chosen ones, or every athlete present in the range; ascending */
  tracks: number[];
  smoothed: boolean;
  /** the range's frames in order, persons limited to `tracks` */
  frames(): AsyncIterable<PoseFrame>;
  /** all of them at once (for formats that need the whole range: BVH, glTF) */
  allFrames(): Promise<PoseFrame[]>;
}

/** Frames per database round trip while streaming. */
export const READ_BATCH = 250;

export async function openExportSource(clipId: string, opts: SourceOptions, deps: { db?: Db } = {}): Promise<ExportSource> {
  let oid;
  try {
    oid = toClipObjectId(clipId);
  } catch {
    throw new ExportError(404, `no clip '${clipId}'`);
  }
  const db = deps.db ?? (await getDb());
  const clip = await db.collection(CLIPS).findOne<{ status: string; filename?: string }>({ _id: oid }, { projection: { status: 1, filename: 1 } });
  if (!clip) throw new ExportError(404, `no clip '${clipId}'`);
  if (clip.status !== 'done') throw new ExportError(409, `clip is ${clip.status}: it can be exported when it is done`);
  const stored = await readPoseMeta(clipId, { db });
  if (!stored) throw new ExportError(404, 'this clip has no stored poses to export');
  const { smpl: hasSmpl, ...meta } = stored;
  const total = meta.frame_count;
  if (total === 0) throw new ExportError(422, 'this clip has no frames to export');

  const from = opts.from ?? 0;
  if (from > total - 1) throw new ExportError(400, `from=${from} is past the last frame (${total - 1}; the clip has ${total} frames)`);
  const to = Math.min(opts.to ?? total - 1, total - 1);
  if (from > to) throw new ExportError(400, `from (${from}) must not be after to (${to})`);

  const inStore = await db.collection(FRAMES).countDocuments({ clipId: oid, frame: { $gte: from, $lte: to } });
  if (inStore !== to - from + 1)
    throw new ExportError(410, `${to - from + 1 - inStore} of frames ${from}..${to} are no longer stored (expired through FRAMES_TTL_DAYS?); run the clip again`);

  const present = (
    await db
      .collection(FRAMES)
      .aggregate<{ _id: number }>([
        { $match: { clipId: oid, frame: { $gte: from, $lte: to } } },
        { $unwind: '$persons' },
        { $group: { _id: '$persons.tid' } },
      ])
      .toArray()
  )
    .map((d) => d._id)
    .sort((a, b) => a - b);
  let tracks = present;
  if (opts.tracks && opts.tracks.length > 0) {
    const unknown = opts.tracks.filter((t) => !present.includes(t));
    if (unknown.length > 0)
      throw new ExportError(400, `athlete${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in frames ${from}..${to} (present: ${present.join(', ') || 'nobody'})`);
    tracks = [...new Set(opts.tracks)].sort((a, b) => a - b);
  }
  const wanted = new Set(tracks);
  const keep = (f: PoseFrame): PoseFrame => ({ ...f, persons: f.persons.filter((p) => wanted.has(p.track_id)) });

  const checkCount = (got: number, lo: number, hi: number) => {
    if (got !== hi - lo + 1)
      throw new ExportError(410, `${hi - lo + 1 - got} of frames ${lo}..${hi} are no longer stored (expired through FRAMES_TTL_DAYS?); run the clip again`);
  };

  let smoothedRange: Promise<PoseFrame[]> | null = null;
  if (opts.smooth) {
    // the frames API's smoothing (lib/frames/smoothed.ts): the range widened by the smoother's context,
    // smoothed (lib/pose/smooth.ts), cut: equal to smoothing the whole clip
    smoothedRange = (async () => {
      const range = await readSmoothedFrames(clipId, meta, from, to, { db });
      checkCount(range.length, from, to);
      return range.map(keep);
    })();
    smoothedRange.catch(() => undefined); // reported when read
  }

  async function* frames(): AsyncIterable<PoseFrame> {
    if (smoothedRange) {
      yield* await smoothedRange;
      return;
    }
    for (let lo = from; lo <= to; lo += READ_BATCH) {
      const hi = Math.min(to, lo + READ_BATCH - 1);
      const batch = await readFrames(clipId, lo, hi, { db });
      checkCount(batch.length, lo, hi);
      for (const f of batch) yield keep(f);
    }
  }

  return {
    clipId,
    filename: clip.filename ?? '',
    meta,
    hasSmpl: !!hasSmpl,
    from,
    to,
    tracks,
    smoothed: !!opts.smooth,
    frames,
    async allFrames() {
      const out: PoseFrame[] = [];
      for await (const f of frames()) out.push(f);
      return out;
    },
  };
}
