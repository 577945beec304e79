import type { Config } from '../lib/config';
import type { ClipStage } from '../lib/clips/types';
import type { FinalFramesWriter } from '../lib/frames/stream-writer';
import type { Logger } from '../lib/log';
import type { BlobStore, clipKeys } from '../lib/storage';
import type { attemptLayout } from '../lib/storage/layout';
import type { RunContext } from './runners/types';

/** A stage of the progress bar that work happens in (not the clip's first or last state). */
export type WorkStage = Exclude<ClipStage, 'uploaded' | 'done'>;

/**
 * What one attempt's tracking step works with, set up by runAttempt (worker/pipeline.ts): where the
 * attempt's files go, how it reports progress and times its stages, and where tracked frames are stored.
 */
export interface AttemptContext {
  clipId: string;
  config: Config;
  /** aborted on cancel or timeout */
  signal: AbortSignal;
  log: Logger;
  /** the attempt's scratch folder (DATA_DIR/work/<clip>/attempt-<n>) */
  scratch: ReturnType<typeof attemptLayout>;
  keys: ReturnType<typeof clipKeys>;
  store: BlobStore;
  /** seconds per stage, filled in as stages end */
  stageSeconds: Record<string, number>;
  /** the runner's working folder inside the scratch (space-free: PHALP builds unquoted shell commands) */
  workDir: string;
  /** stores frames the runner calls final while tracking runs */
  writer: FinalFramesWriter;
  /** what the runner is given: progress, final frames, the job's abort signal */
  runContext: RunContext;
  /** writes the stage and its progress to the clip (throttled) and publishes it; ClipGoneError when the clip is no longer processing */
  progress(stage: WorkStage, within: number, extra?: { etaSeconds?: number; logLine?: string }): Promise<void>;
  /** runs one stage: reports its start, records its duration in stageSeconds and the log */
  timed<T>(stage: WorkStage, fn: () => Promise<T>): Promise<T>;
  /** the source video's path: read in place when the store keeps it on this disk, else fetched into the scratch */
  fetchSource(): Promise<string>;
}
