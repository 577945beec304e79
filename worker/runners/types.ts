import type { PoseFrame, PoseSequence, RunnerKind } from '../../lib/pose/types';
import type { FramesOnDisk } from '../../lib/video/extract';
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

/**
 * A clip whose frames are still being extracted (runners with `runWhileExtracting`): frames appear in
 * framesDir in order (`frames` says how many are whole). `frameIndex` comes from reading the container's
 * packets (no decoding); `verified` resolves once every frame is extracted and the extraction's own
 * index (decoded frames, their times) equals it, and rejects when it does not or the extraction fails.
 */
export interface ExtractingClip extends PreparedClip {
  frames: FramesOnDisk;
  verified: Promise<void>;
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
  /** Runners that can start on the first extracted frames (the CPU runner); the others get a PreparedClip. */
  runWhileExtracting?(clip: ExtractingClip, ctx: RunContext): Promise<PoseSequence>;
  /** Loads what the runner needs before its first job (at worker start), when it can. */
  warm?(): Promise<void>;
}
