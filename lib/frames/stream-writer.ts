import type { Logger } from '../log';
import type { PoseFrame } from '../pose/types';
import { appendFinalFrames, FrameStoreError, resetFinalFrames, type PoseMeta } from './repo';

/** a write that fails this often in a row ends the streaming (the final ingest stores the rest) */
const MAX_FAILURES = 5;
const RETRY_DELAY_MS = 1000;

/**
 * Results while tracking runs: a runner hands out frames as soon as they are final (in order, from
 * frame 0); this writer stores them in chunks (lib/frames/repo.ts appendFinalFrames) and says so after
 * each chunk (`onStored`: the worker publishes the clip change, pages fetch the new range). A write that
 * fails (MongoDB away for a moment) is tried again a second later with what arrived meanwhile.
 *
 * Chunks: the first frames are written at once (the first playable frame as early as possible), then
 * whatever arrived meanwhile, at most one write every `minIntervalMs`, never two at a time. A write that
 * keeps failing, or a clip that is no longer processing, stops the streaming (logged): the job's final
 * ingest stores the rest from `stored` on.
 */
export interface FinalFramesWriterOptions {
  onStored(finalFrames: number): Promise<void> | void;
  log?: Logger;
  /** least time between two chunk writes (default 250 ms) */
  minIntervalMs?: number;
}

export class FinalFramesWriter {
  /** frames 0..stored-1 are in MongoDB and final */
  stored = 0;
  private pending: PoseFrame[] = [];
  private meta: PoseMeta | null = null;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = 0;
  private failed: unknown = null;
  /** failed writes in a row */
  private failures = 0;
  private stopped = false;
  /** track ids of every stored frame (to check the runner's final sequence against what was served) */
  private storedIds: string[] = [];

  constructor(
    private readonly clipId: string,
    private readonly opts: FinalFramesWriterOptions,
  ) {}

  /** Queues frames the runner calls final; they must continue where the previous ones ended. */
  push(chunk: { meta: PoseMeta; frames: PoseFrame[] }): void {
    if (this.stopped || this.failed) return;
    this.meta = chunk.meta;
    this.pending.push(...chunk.frames);
    this.pump();
  }

  /** Stores everything pushed so far (no waiting for the interval); resolves with `stored`. */
  async flush(): Promise<number> {
    while (!this.failed && !this.stopped && (this.writing || this.pending.length)) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      // a retry waits out its delay; otherwise no waiting for the interval
      const wait = this.lastWrite - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.clearTimer();
      if (!this.writing && this.pending.length) this.write();
    }
    this.clearTimer();
    return this.stored;
  }

  /** Stops writing (what is in flight completes); nothing pushed later is stored. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.pending = [];
    await this.writing;
  }

  /** Starts over from frame 0 (a fallback runner): removes the frames stored so far. */
  async reset(): Promise<void> {
    await this.stop();
    await resetFinalFrames(this.clipId);
    this.stored = 0;
    this.storedIds = [];
    this.failed = null;
    this.stopped = false;
    await this.opts.onStored(0);
  }

  /** The first stored frame whose track ids differ from `frames` (the runner's final result), or -1. */
  firstDivergence(frames: PoseFrame[]): number {
    return this.storedIds.findIndex((ids, i) => ids !== idsOf(frames[i]));
  }

  private clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    if (this.writing || this.timer || !this.pending.length || this.stopped || this.failed) return;
    const wait = this.lastWrite + (this.opts.minIntervalMs ?? 250) - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    this.write();
  }

  private write(): void {
    const chunk = this.pending;
    this.pending = [];
    this.lastWrite = Date.now();
    this.writing = (async () => {
      try {
        const before = this.stored;
        this.stored = await appendFinalFrames(this.clipId, this.meta!, chunk);
        for (const f of chunk) if (f.frame_number >= before) this.storedIds.push(idsOf(f));
        this.failures = 0;
        await this.opts.onStored(this.stored);
      } catch (err) {
        // MongoDB may be gone for a moment: the chunk is tried again (with what arrived since), a few times
        if (err instanceof FrameStoreError || ++this.failures > MAX_FAILURES) {
          this.failed = err;
          this.opts.log?.warn('frames.stream-stopped', { clipId: this.clipId, stored: this.stored, error: err });
        } else {
          this.pending = chunk.concat(this.pending);
          this.lastWrite = Date.now() + RETRY_DELAY_MS;
        }
      } finally {
        this.writing = null;
      }
      this.pump();
    })();
  }
}

function idsOf(f: PoseFrame | undefined): string {
  return f ? f.persons.map((p) => p.track_id).join(',') : '';
}
