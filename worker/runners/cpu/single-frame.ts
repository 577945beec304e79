import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { BLAZEPOSE33 } from '../../../lib/pose/joints';
import type { Intrinsics, PersonPose } from '../../../lib/pose/types';
import { FFMPEG, ffprobeJson } from '../../../lib/video/ffmpeg';
import type { AnalyserConfig } from './analyser';
import { defaultIntrinsics } from './camera';
import { workingSize } from './frames';
import { DEFAULT_CPU_OPTIONS } from './index';
import { DETECTOR_MODEL, findModelDir, modelDirCandidates } from './models';
import { readRgbFrames } from './frames';
import type { FromStillThread, ToStillThread } from './still-thread';
import { DEFAULT_TRACKER_OPTIONS } from './tracker';
import { Worker } from 'node:worker_threads';

/**
 * The CPU runner on ONE still image (POST /pose/hybrid): the image becomes a one-frame "clip" (a JPG
 * written by ffmpeg, which also decodes PNG/WebP/BMP), and the same analyser the runner uses on clips
 * (MoveNet MultiPose finds people, BlazePose measures each) runs over it in ONE long-lived worker
 * thread that keeps the models loaded (the first image pays for loading them, about as long as a clip's
 * start; later ones only for the models' run). A thread that dies is replaced on the next image.
 */
export interface StillResult {
  width: number;
  height: number;
  intrinsics: Intrinsics;
  joint_set: string;
  joint_names: string[];
  persons: PersonPose[];
}

export class StillImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StillImageError';
  }
}

export async function analyseStill(image: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<StillResult> {
  const signal = opts.signal ?? new AbortController().signal;
  const names = [DEFAULT_CPU_OPTIONS.landmarkModel, DETECTOR_MODEL];
  const modelDir = findModelDir(names);
  if (!modelDir) throw new Error(`CPU pose model files not found (${names.join(', ')}); looked in ${modelDirCandidates().join(', ')}`);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pose-still-'));
  try {
    const input = path.join(dir, 'input');
    await fsp.writeFile(input, image);
    const converted = await execa(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-i', input, '-frames:v', '1', '-q:v', '2', path.join(dir, '000000.jpg')], {
      reject: false,
      cancelSignal: signal,
      stdin: 'ignore',
    });
    if (converted.exitCode !== 0) {
      throw new StillImageError(`Failed to decode image: ${String(converted.stderr).trim().split('\n').slice(-1)[0] || 'not an image ffmpeg can read'}`);
    }
    const probe = await ffprobeJson<{ streams?: { width?: number; height?: number }[] }>(['-show_entries', 'stream=width,height', path.join(dir, '000000.jpg')], signal);
    const W = probe.streams?.[0]?.width ?? 0;
    const H = probe.streams?.[0]?.height ?? 0;
    if (!W || !H) throw new StillImageError('Failed to decode image: it has no size');
    const work = workingSize(W, H, DEFAULT_CPU_OPTIONS.workingSide);
    const intrinsics = defaultIntrinsics(W, H);
    const config: AnalyserConfig = {
      modelDir,
      landmarkModel: DEFAULT_CPU_OPTIONS.landmarkModel,
      tracker: { ...DEFAULT_TRACKER_OPTIONS },
      workWidth: work.width,
      workHeight: work.height,
      scaleX: W / work.width,
      scaleY: H / work.height,
      intrinsics,
    };
    let rgb: Uint8Array | null = null;
    for await (const f of readRgbFrames({ framesDir: dir, count: 1, width: work.width, height: work.height, sourceWidth: W, sourceHeight: H, signal })) rgb = f.data;
    if (!rgb) throw new StillImageError('Failed to decode image: no pixels');
    const persons = await stillThread().analyse(config, rgb, signal);
    return { width: W, height: H, intrinsics, joint_set: BLAZEPOSE33.name, joint_names: [...BLAZEPOSE33.names], persons };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** The long-lived analyser thread of this process (created on first use). */
class StillThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve(p: PersonPose[]): void; reject(e: Error): void }>();

  private start(): Worker {
    const w = new Worker(new URL('./still-thread-boot.mjs', import.meta.url));
    w.unref(); // an idle analyser must not keep the process alive
    w.on('message', (m: FromStillThread) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.persons);
    });
    const broken = (err: Error) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', broken);
    w.on('exit', (code) => broken(new Error(`the still-image analyser thread exited (code ${code})`)));
    return w;
  }

  analyse(config: AnalyserConfig, data: Uint8Array, signal: AbortSignal): Promise<PersonPose[]> {
    this.worker ??= this.start();
    const id = this.nextId++;
    const done = new Promise<PersonPose[]>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.postMessage({ id, config, data } satisfies ToStillThread, [data.buffer as ArrayBuffer]);
    if (!signal.aborted) return done;
    this.pending.delete(id);
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

let thread: StillThread | null = null;
function stillThread(): StillThread {
  thread ??= new StillThread();
  return thread;
}

/** Stops the analyser thread (worker shutdown, tests). */
export async function closeStillAnalyser(): Promise<void> {
  await thread?.close();
  thread = null;
}
