import { boxCost, centreDistance, greedyAssign, iou, type Box } from '../../../lib/pose/tracking';
import type { BlazePoseLandmarks, Landmarks } from './blazepose';
import type { Detection, MultiPoseDetector } from './detector';
import type { Roi } from './roi';

/**
 * Detect-then-track, as MediaPipe does for one person, extended to several:
 * - every tracked person is followed by running BlazePose in the region its own landmarks predicted
 *   in the previous frame (so identity carries over frame to frame without any matching);
 * - the multi-person detector runs every `detectEvery` frames (and soon after a track is lost) to find
 *   people not yet tracked; a new person is first compared with recently lost tracks (box cost against
 *   their last box) so a short miss keeps its id, else gets a new id;
 * - when two tracks collapse onto the same body (overlapping boxes), the weaker one is dropped.
 */
export interface TrackerOptions {
  /** run the person detector at least this often (frames) */
  detectEvery: number;
  /** after a track is lost, retry detection this often */
  retryEvery: number;
  /** BlazePose presence score under which a track is lost / a detection is rejected */
  minPoseScore: number;
  /** frames a lost track is remembered for re-identification */
  memoryFrames: number;
  /** at most this many people tracked at once */
  maxPeople: number;
  /** for this many frames after the tracker starts, detect every `retryEvery` frames (people the first
   * detection missed are found quickly; a run that starts mid-clip needs it to stitch) */
  eagerFrames: number;
  /** 0..1: fraction of the last frame-to-frame motion added to the next region (0 = MediaPipe's rule) */
  motionPrediction: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  detectEvery: 15,
  retryEvery: 3,
  eagerFrames: 0,
  motionPrediction: 0,
  minPoseScore: 0.5,
  memoryFrames: 45,
  maxPeople: 6,
};

export interface TrackedPerson {
  trackId: number;
  lm: Landmarks;
  /** working-image pixels, from the landmarks */
  box: Box;
  /** 0..1, how sure we are this is the same person as in the track's previous frame (see index.ts) */
  continuity: number;
}

interface Track {
  id: number;
  roi: Roi | null; // where to look next; null = lost
  observed?: Roi; // the region the landmarks gave last frame (before motion prediction)
  lastBox: Box;
  lastFrame: number;
}

export class MultiPersonTracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private lastDetect = -Infinity;
  private lostSinceDetect = false;
  private firstFrame = -1;
  /** counters for the bench: model calls */
  readonly calls = { landmarks: 0, detector: 0 };

  constructor(
    private readonly landmarks: Pick<BlazePoseLandmarks, 'run'>,
    private readonly detector: Pick<MultiPoseDetector, 'detect'>,
    private readonly opts: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
  ) {}

  async step(frame: number, rgb: Uint8Array, width: number, height: number): Promise<TrackedPerson[]> {
    const people: TrackedPerson[] = [];
    const follow: { track: Track; lm: Landmarks; box: Box }[] = [];
    for (const t of this.tracks) {
      if (!t.roi) continue;
      this.calls.landmarks++;
      const lm = await this.landmarks.run(rgb, width, height, t.roi);
      if (lm.score >= this.opts.minPoseScore) follow.push({ track: t, lm, box: landmarkBox(lm, width, height) });
      else this.lose(t);
    }
    // two tracks on one body: keep the more confident one
    follow.sort((a, b) => b.lm.score - a.lm.score);
    for (const f of follow) {
      if (people.some((p) => iou(p.box, f.box) > 0.5)) { this.lose(f.track); continue; }
      const seenLastFrame = f.track.lastFrame === frame - 1;
      people.push({ trackId: f.track.id, lm: f.lm, box: f.box, continuity: seenLastFrame ? iou(f.track.lastBox, f.box) : 0.5 });
      this.keep(f.track, f.lm.nextRoi, f.box, frame);
    }

    if (this.firstFrame < 0) this.firstFrame = frame;
    const since = frame - this.lastDetect;
    const eager = this.lostSinceDetect || frame - this.firstFrame < this.opts.eagerFrames;
    const due = since >= this.opts.detectEvery || (eager && since >= this.opts.retryEvery);
    if (due && people.length < this.opts.maxPeople) {
      this.lastDetect = frame;
      this.lostSinceDetect = false;
      this.calls.detector++;
      const found = await this.detector.detect(rgb, width, height);
      const fresh = found
        .filter((d) => !people.some((p) => iou(p.box, d.box) > 0.3 || centreDistance(p.box, d.box) < 0.25))
        .sort((a, b) => b.score - a.score);
      await this.start(fresh, people, frame, rgb, width, height);
    }
    // forget tracks lost too long ago
    this.tracks = this.tracks.filter((t) => t.roi || frame - t.lastFrame <= this.opts.memoryFrames);
    return people.sort((a, b) => a.trackId - b.trackId);
  }

  private async start(found: Detection[], people: TrackedPerson[], frame: number, rgb: Uint8Array, width: number, height: number) {
    const starts: { lm: Landmarks; box: Box }[] = [];
    for (const d of found) {
      if (people.length + starts.length >= this.opts.maxPeople) break;
      this.calls.landmarks++;
      const lm = await this.landmarks.run(rgb, width, height, d.roi);
      if (lm.score < this.opts.minPoseScore) continue;
      const box = landmarkBox(lm, width, height);
      if (people.some((p) => iou(p.box, box) > 0.4) || starts.some((s) => iou(s.box, box) > 0.4)) continue;
      starts.push({ lm, box });
    }
    // a short miss keeps its id: match new people to recently lost tracks by where they were last seen
    const lost = this.tracks.filter((t) => !t.roi);
    // the longer the miss, the farther the person may have gone: allow about one body length per 10 frames
    const pairs = greedyAssign(lost.map((t) => starts.map((s) => boxCost(t.lastBox, s.box) / (1 + (frame - t.lastFrame) / 10))), 1.0);
    const revived = new Map(pairs.map(([r, c]) => [c, lost[r]]));
    starts.forEach((s, i) => {
      let track = revived.get(i);
      if (!track) {
        track = { id: this.nextId++, roi: null, lastBox: s.box, lastFrame: frame };
        this.tracks.push(track);
      }
      people.push({ trackId: track.id, lm: s.lm, box: s.box, continuity: 0.5 });
      this.keep(track, s.lm.nextRoi, s.box, frame);
    });
  }

  private keep(t: Track, roi: Roi, box: Box, frame: number) {
    // look where the body is going: shift next frame's region by part of the last frame-to-frame motion
    // (a jumping or running body otherwise drifts towards the edge of a region placed where it was)
    const k = this.opts.motionPrediction;
    const moved = t.lastFrame === frame - 1 && t.observed ? { dx: roi.cx - t.observed.cx, dy: roi.cy - t.observed.cy } : { dx: 0, dy: 0 };
    t.observed = roi;
    t.roi = k > 0 ? { ...roi, cx: roi.cx + k * moved.dx, cy: roi.cy + k * moved.dy } : roi;
    t.lastBox = box;
    t.lastFrame = frame;
  }

  private lose(t: Track) {
    t.roi = null;
    this.lostSinceDetect = true;
  }
}

/** Box around the 33 landmarks, 5% margin (the head top lies above the eyes), clipped to the image. */
export function landmarkBox(lm: Landmarks, width: number, height: number): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < lm.image.length; i += 2) {
    x0 = Math.min(x0, lm.image[i]); x1 = Math.max(x1, lm.image[i]);
    y0 = Math.min(y0, lm.image[i + 1]); y1 = Math.max(y1, lm.image[i + 1]);
  }
  const mx = 0.05 * (x1 - x0), my = 0.05 * (y1 - y0);
  x0 = Math.max(0, x0 - mx); y0 = Math.max(0, y0 - my);
  x1 = Math.min(width, x1 + mx); y1 = Math.min(height, y1 + my);
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}
