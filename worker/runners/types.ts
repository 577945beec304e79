import type { PoseFrame, PoseSequence, RunnerKind } from '../../lib/pose/types';
import type { FrameIndex, VideoInfo } from '../../lib/video/types';

/** A clip ready for pose estimation: its frames are extracted as JPGs, one per video frame. */
export interface PreparedClip {
  clipId: string;
  /** absolute folder of 000000.jpg, 000001.jpg, ... (one per video frame, 0-based) */
  framesDir: string;
  frameIndex: FrameIndex;
  video: VideoInfo;
  /** absolute folder this run may write to (created, empty); unique per job attempt, no spaces */
  workDir: string;
}

export interface RunnerProgress {
  /** short stage name shown to the user, e.g. 'tracking', 'loading-model' */
  stage: string;
  /** 0..1 within this runner's work */
  progress: number;
  /** runner's own estimate of seconds left, when it has one */
  etaSeconds?: number;
  /** a line of the runner's output worth showing (log tail) */
  logLine?: string;
}

/**
 * Frames whose values (track ids included) will not change any more, handed out while the runner
 * works: `frames` continue exactly where the previous call's ended (the first call starts at frame 0),
 * and equal the frames of the sequence `run` resolves with. `meta` is that sequence minus its frames.
 */
export interface FinalFrames {
  meta: Omit<PoseSequence, 'frames'>;
  frames: PoseFrame[];
}

export interface RunContext {
  onProgress(p: RunnerProgress): void;
  /** frames as soon as they are final (results while tracking runs); runners that cannot tell never call it */
  onFinalFrames?(chunk: FinalFrames): void;
  /** aborted on cancel or timeout; the runner must stop and kill every child process */
  signal: AbortSignal;
}

/** A failure the user can act on: `message` is shown as is; `logTail` are the last output lines. */
export class RunnerError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly options: { logTail?: string[]; retryable?: boolean; fallbackAllowed?: boolean } = {},
  ) {
    super(message);
    this.name = 'RunnerError';
  }
}

export interface PoseRunner {
  kind: RunnerKind;
  /** what the worker reports in its heartbeat, e.g. { phalpFound: true } */
  describe(): Promise<Record<string, unknown>>;
  run(clip: PreparedClip, ctx: RunContext): Promise<PoseSequence>;
}
