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
  /** drawing the overlay on the video (2D canvas) per frame change */
  overlayMs: number[];
  /** GL submit (+ finish when measureGl) of rendered frames */
  frameGlMs: number[];
  /**
   * Largest |frame the 3D view shows - frame the video presented before the current one|, checked
   * each time the video presents a frame while playing (requestVideoFrameCallback): 0 when the 3D view
   * keeps up, 1 when it is one video frame late, more when it falls behind what the coach sees.
   */
  maxDriftFrames: number;
  /** largest jump between two frames the video presented while playing (>1: the browser dropped video frames) */
  maxVideoStep: number;
  /** video frames presented while playing (how many drift checks there were) */
  presentedFrames: number;
  /** the frame the 3D view rendered last (-1 before the first render) */
  renderedFrame: number;
  /** frames rendered by the 3D view */
  renders: number;
  /** React renders of the timeline and of the controls (they must not follow every frame of playback) */
  timelineRenders: number;
  controlsRenders: number;
  /** React renders of the Angles panel (it must not follow every frame of playback either) */
  anglesRenders: number;
  /** smoothing + coherence analysis of the sequence in the browser (lib/pose/analysis.ts), ms */
  analysisMs: number | null;
  /** every angle of every track over the clip, for the sequence shown, ms (last computed) */
  angleSeriesMs: number | null;
  /** angle arcs drawn now on the 3D view and on the video overlay (paused frames only) */
  arcs3d: number;
  arcsOverlay: number;
  /** set true (e.g. by a benchmark) to call gl.finish() after each render, so frameGlMs includes GPU work */
  measureGl: boolean;
}

const KEEP = 600;

export function createStats(): PlayerStats {
  const stats: PlayerStats = {
    posesBytes: 0, personFrames: 0, posesFetchMs: 0, decodeMs: 0, firstFrameAt: null, frameJsMs: [], overlayMs: [], frameGlMs: [],
    maxDriftFrames: 0, maxVideoStep: 0, presentedFrames: 0, renderedFrame: -1, renders: 0, timelineRenders: 0, controlsRenders: 0, anglesRenders: 0,
    analysisMs: null, angleSeriesMs: null, arcs3d: 0, arcsOverlay: 0, measureGl: false,
  };
  if (typeof window !== 'undefined') (window as unknown as { __playerStats: PlayerStats }).__playerStats = stats;
  return stats;
}

export function pushSample(list: number[], v: number): void {
  list.push(v);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}
