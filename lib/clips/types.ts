import type { SequenceAnalysis } from '../pose/analysis';
import type { RunnerKind, TrackStats } from '../pose/types';

export type ClipStatus = 'queued' | 'processing' | 'done' | 'failed' | 'canceled';

/** Stages in pipeline order; `progress` is the overall 0..1 of the job. */
export type ClipStage = 'uploaded' | 'probing' | 'extracting' | 'transcoding' | 'tracking' | 'ingesting' | 'done';

/** The clip as the API returns it (GET /api/clips/:id) and as pages receive it. */
export interface ClipDTO {
  id: string;
  /** the owning account's user id; null in a share-link view and on clips from before accounts */
  ownerId: string | null;
  filename: string; // display name only
  status: ClipStatus;
  stage: ClipStage | null;
  progress: number; // 0..1
  etaSeconds: number | null;
  error: string | null;
  /** last lines of the runner's output, shown when a job fails */
  logTail: string[];
  runner: RunnerKind | null;
  /** e.g. "PHALP failed (no GPU): fell back to the CPU runner" */
  runnerNote: string | null;
  sha256: string;
  sizeBytes: number;
  fps: number | null;
  frameCount: number | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  rotation: number | null;
  codec: string | null;
  /** ffprobe's container name of the upload (e.g. "mov,mp4,m4a,3gp,3g2,mj2") */
  container: string | null;
  /**
   * true once the H.264 copy made for browsers is what GET /api/clips/:id/video serves; false: it serves
   * the upload itself (a clip browsers play as is, or one whose copy is still being made while tracking runs)
   */
  playableCopy: boolean;
  /** per-track coverage, filled when done */
  /** `analysis` (lib/pose/analysis.ts: jitter raw/smoothed, coherence breaks per track) is absent on clips done before it existed */
  stats: { tracks: TrackStats[]; personFrames: number; stageSeconds: Record<string, number>; analysis?: SequenceAnalysis } | null;
  /**
   * Frames 0..finalFrames-1 are stored and final (they and their track ids never change): while the
   * clip is processing it grows as tracking runs (results while tracking runs); done: every frame; else 0.
   */
  finalFrames: number;
  jointSet: string | null;
  hasSmpl: boolean;
  /** true when this clip's results were copied from an earlier upload of the same content */
  reusedFrom: string | null;
  queuePosition: number | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
