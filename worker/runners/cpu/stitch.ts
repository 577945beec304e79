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
 */
export function stitchChunks(chunks: ChunkResult[], memoryFrames: number): PersonPose[][] {
  const out: PersonPose[][] = [];
  let nextId = 1;
  // global id -> where it was last seen
  const last = new Map<number, { frame: number; box: PersonPose['bbox'] }>();
  let prev: ChunkResult | null = null;

  for (const chunk of chunks) {
    const map = new Map<number, number>();
    const keepFrom = out.length; // frames before this one are already decided by the previous chunk
    if (prev) {
      // 1. overlap: mean IoU between local tracks of the two runs over the shared frames
      const score = new Map<string, number>();
      for (let f = chunk.start; f < keepFrom; f++) {
        for (const a of out[f]!) for (const b of chunk.frames[f - chunk.start] ?? []) {
          const k = `${a.track_id}:${b.track_id}`;
          score.set(k, (score.get(k) ?? 0) + iou(a.bbox, b.bbox));
        }
      }
      const gIds = [...new Set([...score.keys()].map((k) => Number(k.split(':')[0])))];
      const lIds = [...new Set([...score.keys()].map((k) => Number(k.split(':')[1])))];
      const span = Math.max(1, keepFrom - chunk.start);
      const pairs = greedyAssign(gIds.map((g) => lIds.map((l) => 1 - (score.get(`${g}:${l}`) ?? 0) / span)), 0.7);
      for (const [r, c] of pairs) map.set(lIds[c]!, gIds[r]!);
    }
    for (let i = keepFrom - chunk.start; i < chunk.frames.length; i++) {
      const frame = chunk.start + i;
      const persons = (chunk.frames[i] ?? []).map((p) => {
        let id = map.get(p.track_id);
        if (id === undefined) {
          // 2. someone not in the overlap: an old track lost shortly before, or a new person
          const taken = new Set(map.values());
          const cands = [...last].filter(([g, l]) => !taken.has(g) && frame - l.frame > 0 && frame - l.frame <= memoryFrames);
          const costs = cands.map(([, l]) => [boxCost(l.box, p.bbox) / (1 + (frame - l.frame) / 10)]);
          const best = greedyAssign(costs, 1.0)[0];
          // only revive across a chunk boundary (inside a chunk the tracker already did)
          id = best && prev && cands[best[0]]![1].frame < keepFrom ? cands[best[0]]![0] : nextId++;
          map.set(p.track_id, id);
        }
        last.set(id, { frame, box: p.bbox });
        return { ...p, track_id: id };
      });
      out.push(persons.sort((a, b) => a.track_id - b.track_id));
    }
    prev = chunk;
  }
  return out;
}
