import { Worker } from 'node:worker_threads';
import type { PersonPose } from '../../../lib/pose/types';
import type { AnalyserConfig } from './analyser';
import { readRgbFrames } from './frames';
import type { FromThread, ToThread } from './thread';

export interface ChunkJob {
  config: AnalyserConfig;
  framesDir: string;
  sourceWidth: number;
  sourceHeight: number;
  /** first frame the tracker sees (warm-up frames before `keepFrom` are analysed but only used to stitch) */
  start: number;
  /** frames to analyse from `start` */
  count: number;
  signal: AbortSignal;
  /** called once per analysed frame, in frame order, with its persons (local track ids) */
  onFrame(frame: number, persons: PersonPose[]): void;
}

export interface ChunkResult {
  start: number;
  /** persons of frames start..start+count-1, local track ids */
  frames: PersonPose[][];
  calls: { landmarks: number; detector: number };
}

/** Frames sent ahead of the model: enough to hide decode latency, few enough to bound memory. */
const MAX_IN_FLIGHT = 3;

/**
 * Runs one tracker over a run of frames in a worker thread. This thread decodes (ffmpeg) and feeds
 * frames; the worker runs the models. Aborting kills ffmpeg and terminates the thread.
 */
export async function runChunk(job: ChunkJob): Promise<ChunkResult> {
  const { config, signal } = job;
  const worker = new Worker(new URL('./thread-boot.mjs', import.meta.url));
  const frames: PersonPose[][] = new Array(job.count);
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let failedWith: Error | null = null;
  let onReady!: () => void;
  let onDone!: (calls: ChunkResult['calls']) => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<ChunkResult['calls']>((r) => (onDone = r));
  let rejectBroken!: (e: Error) => void;
  const broken = new Promise<never>((_, rej) => (rejectBroken = rej));
  broken.catch(() => {});
  const fail = (e: Error) => {
    failedWith ??= e;
    rejectBroken(failedWith);
  };
  const onAbort = () => fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });

  worker.on('message', (m: FromThread) => {
    if (m.type === 'ready') onReady();
    else if (m.type === 'result') {
      frames[m.index - job.start] = m.persons;
      inFlight--;
      job.onFrame(m.index, m.persons);
      wake?.();
    } else if (m.type === 'done') onDone(m.calls);
    else fail(Object.assign(new Error(m.message), { stack: m.stack }));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`pose worker thread exited (code ${code})`)));
  const post = (m: ToThread, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);

  try {
    post({ type: 'init', config });
    await Promise.race([ready, broken]);
    for await (const f of readRgbFrames({
      framesDir: job.framesDir, start: job.start, count: job.count, width: config.workWidth, height: config.workHeight,
      sourceWidth: job.sourceWidth, sourceHeight: job.sourceHeight, signal,
    })) {
      while (inFlight >= MAX_IN_FLIGHT) await Promise.race([new Promise<void>((r) => (wake = r)), broken]);
      if (failedWith) throw failedWith;
      inFlight++;
      post({ type: 'frame', index: f.index, data: f.data }, [f.data.buffer as ArrayBuffer]);
    }
    if (failedWith) throw failedWith;
    post({ type: 'end' });
    const calls = await Promise.race([done, broken]);
    return { start: job.start, frames, calls };
  } finally {
    signal.removeEventListener('abort', onAbort);
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
