/**
 * Timing hooks read by bench/player.bench.ts and the e2e tests (window.__playerStats). Times are
 * performance.now() values, i.e. milliseconds since navigation start.
 */
export interface PlayerStats {
  posesBytes: number;
  personFrames: number;
  posesFetchMs: number;
  decodeMs: number;
  /** when the first 3D frame was rendered, ms since navigation */
  firstFrameAt: number | null;
  /** JS work of the last frame change: skeleton + skinning + buffer writes */
  frameJsMs: number[];
  /** GL submit (+ finish when measureGl) of rendered frames */
  frameGlMs: number[];
  /** largest |3D frame - video frame| seen while playing */
  maxDriftFrames: number;
  /** frames rendered by the 3D view */
  renders: number;
  /** set true (e.g. by a benchmark) to call gl.finish() after each render, so frameGlMs includes GPU work */
  measureGl: boolean;
}

const KEEP = 600;

export function createStats(): PlayerStats {
  const stats: PlayerStats = {
    posesBytes: 0, personFrames: 0, posesFetchMs: 0, decodeMs: 0, firstFrameAt: null, frameJsMs: [], frameGlMs: [],
    maxDriftFrames: 0, renders: 0, measureGl: false,
  };
  if (typeof window !== 'undefined') (window as unknown as { __playerStats: PlayerStats }).__playerStats = stats;
  return stats;
}

export function pushSample(list: number[], v: number): void {
  list.push(v);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}
