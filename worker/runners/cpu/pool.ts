import { Worker } from 'node:worker_threads';
import type { PersonPose } from '../../../lib/pose/types';
import type { FramesOnDisk } from '../../../lib/video/extract';
import type { AnalyserConfig } from './analyser';
import { readRgbFrames, type RgbFrame } from './frames';
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
  /** the frames are still being extracted: each is read once it is on disk */
  extracting?: FramesOnDisk;
}

export interface ChunkResult {
  start: number;
  /** persons of frames start..start+count-1, local track ids */
  frames: PersonPose[][];
  calls: { landmarks: number; detector: number };
}

/** Frames sent ahead of the model: enough to hide decode latency, few enough to bound memory. */
const MAX_IN_FLIGHT = 3;

type ModelKey = Pick<AnalyserConfig, 'modelDir' | 'landmarkModel'>;
const keyOf = (c: ModelKey) => `${c.modelDir}|${c.landmarkModel}`;

/**
 * Threads with their models loaded, waiting for a run (warm): a run takes one and gives it back when it
 * ends well; a thread of a failed or canceled run is terminated (a fresh one loads the models again).
 */
const idle: { key: string; worker: Worker; loaded: Promise<void> }[] = [];

function newThread(): Worker {
  return new Worker(new URL('./thread-boot.mjs', import.meta.url));
}

/**
 * Starts `count` threads that load the models now (at worker start), so the first job's runs need not.
 * Resolves when they are loaded; a thread that fails to load is dropped (a run then starts its own).
 */
export async function warmThreads(count: number, models: ModelKey): Promise<void> {
  const key = keyOf(models);
  const have = idle.filter((t) => t.key === key).length;
  const started = Array.from({ length: Math.max(0, count - have) }, () => {
    const worker = newThread();
    const loaded = new Promise<void>((resolve, reject) => {
      worker.once('message', (m: FromThread) => (m.type === 'loaded' ? resolve() : reject(new Error(m.type === 'error' ? m.message : `unexpected ${m.type}`))));
      worker.once('error', reject);
    });
    const entry = { key, worker, loaded };
    idle.push(entry);
    worker.postMessage({ type: 'load', config: { modelDir: models.modelDir, landmarkModel: models.landmarkModel } } satisfies ToThread);
    // an idle thread does not keep the worker process alive (once loaded: the load itself is awaited)
    return loaded.then(() => {
      if (idle.includes(entry)) worker.unref();
    }).catch(async (err: unknown) => {
      const i = idle.indexOf(entry);
      if (i < 0) throw err; // a run took it meanwhile: the run sees the failure itself
      idle.splice(i, 1);
      await worker.terminate();
      throw err;
    });
  });
  const results = await Promise.allSettled(started);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Threads waiting with loaded models (for /api/health-like reports and tests). */
export function warmThreadCount(): number {
  return idle.length;
}

function takeThread(models: ModelKey): Worker {
  const i = idle.findIndex((t) => t.key === keyOf(models));
  if (i < 0) return newThread();
  const [entry] = idle.splice(i, 1);
  entry!.loaded.catch(() => {}); // a failed load shows again as the run's own error
  entry!.worker.ref();
  return entry!.worker;
}

function giveBack(worker: Worker, models: ModelKey): void {
  // only the run's own listeners: Worker keeps internal ones (its message port follows 'message' listeners)
  for (const event of ['message', 'error', 'exit']) worker.removeAllListeners(event);
  worker.unref();
  idle.push({ key: keyOf(models), worker, loaded: Promise.resolve() });
}

/**
 * The run's frames, decoded at the working size: one ffmpeg over the JPG sequence, or, while the
 * frames are still being extracted, one ffmpeg per stretch of frames already on disk (the first
 * stretch is what is there when the run starts: often one frame, so tracking starts at once).
 */
async function* runFrames(job: ChunkJob): AsyncGenerator<RgbFrame> {
  const { config, signal } = job;
  const end = job.start + job.count;
  let next = job.start;
  while (next < end) {
    const ready = job.extracting ? await job.extracting.waitFor(next + 1, signal) : end;
    const upTo = Math.min(end, ready);
    if (upTo <= next) throw new Error(`frame ${next} was never extracted (the extraction ended with ${ready} frames)`);
    yield* readRgbFrames({
      framesDir: job.framesDir, start: next, count: upTo - next, width: config.workWidth, height: config.workHeight,
      sourceWidth: job.sourceWidth, sourceHeight: job.sourceHeight, signal,
    });
    next = upTo;
  }
}

/**
 * Runs one tracker over a run of frames in a worker thread (a warm one when there is one). This thread
 * decodes (ffmpeg) and feeds frames; the worker runs the models. Aborting kills ffmpeg and terminates
 * the thread.
 */
export async function runChunk(job: ChunkJob): Promise<ChunkResult> {
  const { config, signal } = job;
  const worker = takeThread(config);
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
    else if (m.type === 'error') fail(Object.assign(new Error(m.message), { stack: m.stack }));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`pose worker thread exited (code ${code})`)));
  const post = (m: ToThread, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);

  let ok = false;
  try {
    post({ type: 'init', config });
    await Promise.race([ready, broken]);
    for await (const f of runFrames(job)) {
      while (inFlight >= MAX_IN_FLIGHT) await Promise.race([new Promise<void>((r) => (wake = r)), broken]);
      if (failedWith) throw failedWith;
      inFlight++;
      post({ type: 'frame', index: f.index, data: f.data }, [f.data.buffer as ArrayBuffer]);
    }
    if (failedWith) throw failedWith;
    post({ type: 'end' });
    const calls = await Promise.race([done, broken]);
    ok = !failedWith;
    return { start: job.start, frames, calls };
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (ok) giveBack(worker, config);
    else {
      worker.removeAllListeners('exit');
      await worker.terminate();
    }
  }
}
