import { boxCost, greedyAssign, iou } from '../../../lib/pose/tracking';
import type { PersonPose } from '../../../lib/pose/types';
import type { ChunkResult } from './pool';

/**
 * Joins the runs of frames that were tracked in parallel into one sequence with global track ids.
 *
 * Each run after the first starts `overlap` frames before the previous run ends. A track of the new
 * run takes the id of the previous run's track it overlaps most (mean box IoU over the shared frames);
 * a track starting after the overlap, or not found there, is matched like a re-identified track
 * (box cost against where the old track was last seen, allowing for the gap), else gets a new id.
 *
 * Streaming: the stitcher takes each run's frames as they are analysed (`add`) and hands out the
 * frames whose global ids are decided (`drain`), in frame order. A frame of the first run is decided
 * as soon as it (and every frame before it) is in; a frame of a later run once the previous run has
 * ended, this run's overlap frames are in (its ids are matched there), and every frame before it.
 * A decided frame never changes: the result equals stitching the finished runs at once.
 */
export class StreamingStitcher {
  private readonly out: PersonPose[][] = [];
  private readonly received: (PersonPose[] | undefined)[][];
  private nextId = 1;
  /** global id -> where it was last seen */
  private readonly last = new Map<number, { frame: number; box: PersonPose['bbox'] }>();
  /** the run whose frames are being decided, and its local -> global id map (null until its overlap is in) */
  private current = 0;
  private map: Map<number, number> | null = null;
  /** the current run's first decided frame (where the previous run ended) */
  private keepFrom = 0;
  private drained = 0;
  /** set by the batch form: frames never added count as empty */
  private finished = false;

  /** `runs`: each run's first frame and frame count, in clip order (a run's frames before the previous run's end are its overlap). */
  constructor(
    private readonly runs: { start: number; count: number }[],
    private readonly memoryFrames: number,
  ) {
    this.received = runs.map((r) => new Array(r.count));
  }

  /** The persons of frame `frame` (clip frame number) as run `run` tracked it, local ids. */
  add(run: number, frame: number, persons: PersonPose[]): void {
    const r = this.runs[run];
    if (!r || frame < r.start || frame >= r.start + r.count) throw new Error(`stitch: frame ${frame} is not in run ${run}`);
    this.received[run]![frame - r.start] = persons;
  }

  /** Frames decided since the last call (global ids), in order; `from` is the first one's frame number. */
  drain(): { from: number; frames: PersonPose[][] } {
    this.advance();
    const from = this.drained;
    this.drained = this.out.length;
    return { from, frames: this.out.slice(from) };
  }

  /** Every frame, once every run is complete (what stitchChunks returns). */
  all(): PersonPose[][] {
    this.advance();
    return this.out;
  }

  private advance(): void {
    while (this.current < this.runs.length) {
      const run = this.runs[this.current]!;
      const got = this.received[this.current]!;
      const keepFrom = this.out.length; // frames before this one are already decided by the previous run
      const end = run.start + run.count;
      if (!this.map) {
        // the overlap must be complete before any id of this run is decided
        for (let f = run.start; f < Math.min(keepFrom, end); f++) if (got[f - run.start] === undefined && !this.finished) return;
        this.map = this.current > 0 ? this.overlapMap(run.start, keepFrom, got) : new Map();
        this.keepFrom = keepFrom;
      }
      for (let f = this.out.length; f < end; f++) {
        const persons = got[f - run.start];
        if (persons === undefined && !this.finished) return;
        this.out.push(this.decide(f, persons ?? []));
      }
      this.current++;
      this.map = null;
    }
  }

  /** Treats frames never added as empty (the batch form: runs are complete when they are handed in). */
  markFinished(): void {
    this.finished = true;
  }

  // 1. overlap: mean IoU between local tracks of the two runs over the shared frames
  private overlapMap(start: number, keepFrom: number, got: (PersonPose[] | undefined)[]): Map<number, number> {
    const map = new Map<number, number>();
    const score = new Map<string, number>();
    for (let f = start; f < keepFrom; f++) {
      for (const a of this.out[f]!) for (const b of got[f - start] ?? []) {
        const k = `${a.track_id}:${b.track_id}`;
        score.set(k, (score.get(k) ?? 0) + iou(a.bbox, b.bbox));
      }
    }
    const gIds = [...new Set([...score.keys()].map((k) => Number(k.split(':')[0])))];
    const lIds = [...new Set([...score.keys()].map((k) => Number(k.split(':')[1])))];
    const span = Math.max(1, keepFrom - start);
    const pairs = greedyAssign(gIds.map((g) => lIds.map((l) => 1 - (score.get(`${g}:${l}`) ?? 0) / span)), 0.7);
    for (const [r, c] of pairs) map.set(lIds[c]!, gIds[r]!);
    return map;
  }

  private decide(frame: number, local: PersonPose[]): PersonPose[] {
    const map = this.map!;
    const keepFrom = this.keepFrom;
    const persons = local.map((p) => {
      let id = map.get(p.track_id);
      if (id === undefined) {
        // 2. someone not in the overlap: an old track lost shortly before, or a new person
        const taken = new Set(map.values());
        const cands = [...this.last].filter(([g, l]) => !taken.has(g) && frame - l.frame > 0 && frame - l.frame <= this.memoryFrames);
        const costs = cands.map(([, l]) => [boxCost(l.box, p.bbox) / (1 + (frame - l.frame) / 10)]);
        const best = greedyAssign(costs, 1.0)[0];
        // only revive across a run boundary (inside a run the tracker already did)
        id = best && this.current > 0 && cands[best[0]]![1].frame < keepFrom ? cands[best[0]]![0] : this.nextId++;
        map.set(p.track_id, id);
      }
      this.last.set(id, { frame, box: p.bbox });
      return { ...p, track_id: id };
    });
    return persons.sort((a, b) => a.track_id - b.track_id);
  }
}

/** Stitches finished runs at once (see StreamingStitcher). */
export function stitchChunks(chunks: ChunkResult[], memoryFrames: number): PersonPose[][] {
  const stitcher = new StreamingStitcher(chunks.map((c) => ({ start: c.start, count: c.frames.length })), memoryFrames);
  chunks.forEach((c, i) => c.frames.forEach((persons, j) => persons !== undefined && stitcher.add(i, c.start + j, persons)));
  stitcher.markFinished();
  return stitcher.all();
}
