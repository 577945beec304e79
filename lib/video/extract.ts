import { existsSync } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { frameFileName } from '../storage/layout';
import { runFfmpeg, VideoToolError } from './ffmpeg';
import { probeVideo } from './probe';
import type { FrameIndex, VideoInfo } from './types';

export { readFrameIndex, writeFrameIndex } from './frame-index';

export interface ExtractOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /** probeVideo's result for `file`, when the caller already has it (saves one decoding pass) */
  info?: VideoInfo;
  /** JPEG quality, ffmpeg -q:v scale (2 = best .. 31); 3 is visually lossless for pose models */
  quality?: number;
  /**
   * Told how many frames are on disk, whole, while ffmpeg still writes the rest (a runner can start on
   * them): each JPG is then written atomically (temp file + rename) and the folder watched.
   */
  live?: FramesOnDisk;
  /** lower CPU priority (nice value) for ffmpeg: tracking running on the frames comes first */
  niceness?: number;
}

/**
 * Frames 0..ready-1 of an extraction that is still running are on disk, whole (readers wait with
 * `waitFor`). When the extraction ends, `ready` is its final count; when it fails, waiting rejects.
 */
export class FramesOnDisk {
  ready = 0;
  private ended = false;
  private error: Error | null = null;
  private readonly waiters = new Set<() => void>();

  /** Called by the extraction. */
  update(ready: number): void {
    if (ready <= this.ready) return;
    this.ready = ready;
    this.wake();
  }

  /** The extraction ended: `error` when it failed (readers waiting get it), else every frame is there. */
  end(error?: Error): void {
    this.ended = true;
    this.error = error ?? null;
    this.wake();
  }

  /** Resolves with the frames on disk once at least `n` are, or the extraction ended (then maybe fewer). */
  async waitFor(n: number, signal?: AbortSignal): Promise<number> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.error) throw this.error;
      if (this.ready >= n || this.ended) return this.ready;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** How often a live extraction looks for newly written frames. */
const LIVE_POLL_MS = 20;

const FRAME_FILE = /^\d{6,}\.jpg$/;

/**
 * Writes every video frame of `file` as framesDir/000000.jpg, 000001.jpg, ... (display orientation:
 * ffmpeg's autorotate applies the rotation) and returns the FrameIndex with each frame's exact
 * presentation time. Does not write frames.json: call writeFrameIndex(layout.frameIndex, index).
 *
 * One ffmpeg pass does both: `-fps_mode passthrough` writes each decoded frame once (no frame
 * dropped or duplicated, whatever the timing), and the showinfo filter prints each frame's pts in
 * the stream time base as it goes by, in presentation order (ffmpeg sets a decoded frame's pts to
 * its best-effort timestamp). On abort ffmpeg is killed and the promise rejects; the caller removes
 * the folder.
 */
export async function extractFrames(file: string, framesDir: string, options: ExtractOptions = {}): Promise<FrameIndex> {
  const { live } = options;
  if (!live) return extractAll(file, framesDir, options);
  await mkdir(framesDir, { recursive: true });
  await removeFrameFiles(framesDir); // before watching: an earlier attempt's frames are not ours
  // each JPG appears whole (renamed into place), in order: the files present from 0 on are ready
  let seen = 0;
  const look = () => {
    while (existsSync(path.join(framesDir, frameFileName(seen)))) seen++;
    live.update(seen);
  };
  const watcher = setInterval(look, LIVE_POLL_MS);
  try {
    const index = await extractAll(file, framesDir, options);
    clearInterval(watcher);
    look();
    live.end();
    return index;
  } catch (err) {
    live.end(err as Error);
    throw err;
  } finally {
    clearInterval(watcher);
  }
}

async function extractAll(file: string, framesDir: string, options: ExtractOptions): Promise<FrameIndex> {
  const { signal, onProgress } = options;
  const info = options.info ?? (await probeVideo(file, { signal }));
  const total = info.frameCount;

  await mkdir(framesDir, { recursive: true });
  await removeFrameFiles(framesDir); // frames of an earlier attempt would be counted as ours

  let timeBase: [number, number] | null = null;
  const ticks: (number | null)[] = [];
  const onStderrLine = (line: string) => {
    if (!line.includes('Parsed_showinfo')) return;
    const tb = /config in time_base: (\d+)\/(\d+)/.exec(line);
    if (tb) {
      timeBase = [Number(tb[1]), Number(tb[2])];
      return;
    }
    const m = /\bn:\s*(\d+)\s+pts:\s*(\S+)/.exec(line);
    if (m) ticks[Number(m[1])] = /^-?\d+$/.test(m[2]!) ? Number(m[2]) : null; // NOPTS
  };

  const quality = String(options.quality ?? 3);
  await runFfmpeg(
    [
      '-i', file,
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', 'showinfo=checksum=0',
      '-fps_mode', 'passthrough',
      '-q:v', quality,
      '-start_number', '0',
      '-f', 'image2',
      ...(options.live ? ['-atomic_writing', '1'] : []),
      path.join(framesDir, '%06d.jpg'),
    ],
    {
      signal,
      what: 'frame extraction',
      niceness: options.niceness,
      onStderrLine,
      onFrame: (done) => onProgress?.(Math.min(done, total), total),
    },
  );

  const names = new Set((await readdir(framesDir)).filter((f) => FRAME_FILE.test(f)));
  const written = names.size;
  if (written !== ticks.length || ticks.some((t) => t === undefined)) {
    throw new VideoToolError(
      `frame extraction is inconsistent: ffmpeg wrote ${written} JPGs but reported ${ticks.length} frames`,
    );
  }
  if (!info.estimated && written !== total) {
    throw new VideoToolError(
      `frame extraction lost frames: the video has ${total} frames (counted by decoding) but ffmpeg wrote ${written} JPGs`,
    );
  }
  if (written === 0) throw new VideoToolError('frame extraction produced no frame: the video does not decode');
  for (let i = 0; i < written; i++) {
    if (!names.has(frameFileName(i))) throw new VideoToolError(`frame extraction left a gap: no ${frameFileName(i)}`);
  }
  if (!timeBase) throw new VideoToolError('frame extraction: ffmpeg did not report the time base of the frames');

  const [num, den] = timeBase as [number, number];
  const pts = ticksToSeconds(ticks as (number | null)[], num, den, info.fps);
  onProgress?.(written, written);
  return {
    frameCount: written,
    width: info.width,
    height: info.height,
    fps: info.fps,
    pts: pts.relative,
    startTime: pts.start,
  };
}

/**
 * Ticks -> seconds relative to frame 0. Ticks are integers, so differences are exact; a frame with no
 * timestamp at all (rare, raw streams) gets the previous one plus one nominal frame interval.
 */
function ticksToSeconds(ticks: (number | null)[], num: number, den: number, fps: number) {
  const step = fps > 0 ? den / (num * fps) : 0; // one frame interval, in ticks
  const filled: number[] = [];
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    filled.push(t ?? (i === 0 ? 0 : filled[i - 1]! + step));
  }
  const first = filled[0] ?? 0;
  return {
    start: (first * num) / den,
    relative: filled.map((t) => ((t - first) * num) / den),
  };
}

async function removeFrameFiles(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => FRAME_FILE.test(f));
  await Promise.all(files.map((f) => unlink(path.join(dir, f))));
}
