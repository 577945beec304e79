import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadConfig, type Config } from '../../lib/config';
import type { FrameIndex } from '../../lib/video/types';
import type { PreparedClip, RunContext, RunnerProgress } from '../../worker/runners/types';

/** The fake 4D-Humans checkout (a TEST DOUBLE of track.py, see its README). */
export const DOUBLE_DIR = path.resolve(import.meta.dirname, '../fixtures/phalp-double');
/** Debian's python: has numpy and joblib, which the double needs. */
export const PYTHON = '/usr/bin/python3';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** ffmpeg's test pattern as JPGs named like the clip layout (000000.jpg ...), with its frame index. */
export async function makeFrames(dir: string, count: number, width: number, height: number, fps = 30): Promise<FrameIndex> {
  await mkdir(dir, { recursive: true });
  await execa('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`,
    '-frames:v', String(count), '-start_number', '0', '-q:v', '5', path.join(dir, '%06d.jpg'),
  ]);
  return { frameCount: count, width, height, fps, pts: Array.from({ length: count }, (_, i) => i / fps) };
}

export function clipFor(framesDir: string, frameIndex: FrameIndex, workDir: string): PreparedClip {
  return {
    clipId: '0123456789abcdef01234567',
    framesDir,
    frameIndex,
    workDir,
    video: {
      width: frameIndex.width, height: frameIndex.height, codedWidth: frameIndex.width, codedHeight: frameIndex.height,
      rotation: 0, fps: frameIndex.fps, rFrameRate: `${frameIndex.fps}/1`, avgFrameRate: `${frameIndex.fps}/1`,
      frameCount: frameIndex.frameCount, duration: frameIndex.frameCount / frameIndex.fps, codec: 'mjpeg',
      pixFmt: 'yuvj420p', container: 'image2', variableFrameRate: false, browserPlayable: false,
    },
  };
}

export function phalpConfig(overrides: Record<string, string> = {}): Config {
  // PHALP_MODE=spawn: these tests are about one track.py per job; the warm service has service.test.ts
  return loadConfig({ HOME: process.env.HOME, PHALP_DIR: DOUBLE_DIR, PHALP_PYTHON: PYTHON, POSE_TIMEOUT_MS: '60000', PHALP_MODE: 'spawn', ...overrides });
}

/** A RunContext that records every progress report. */
export function recordingContext(signal: AbortSignal = new AbortController().signal) {
  const events: RunnerProgress[] = [];
  const ctx: RunContext = { onProgress: (p) => events.push(p), signal };
  return { ctx, events };
}

/** Runs `fn` with the double's knobs set in this process's environment (the runner passes it through). */
export async function withDoubleEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export interface PklPerson {
  tid: number;
  tracked_time: number;
  conf: number;
  /** 2D joints in original pixels (PHALP.md section 3) */
  j2d: number[];
  j3d: number[];
  camera: number[];
  bbox: number[];
  betas: number[];
}

/** What joblib itself reads from a results pkl, frame by frame in file order (independent of lib/phalp). */
export async function readPklWithJoblib(pkl: string): Promise<PklPerson[][]> {
  const code = `
import json, sys, joblib
d = joblib.load(sys.argv[1])
out = []
for r in d.values():
    frame = []
    for i, tid in enumerate(r['tid']):
        H, W = r['size'][i]; S = max(H, W); top = (S - H) // 2; left = (S - W) // 2
        j = r['2d_joints'][i].astype(float).reshape(-1, 2)
        px = [[x * S - left, y * S - top] for x, y in j]
        frame.append({'tid': int(tid), 'tracked_time': int(r['tracked_time'][i]), 'conf': float(r['conf'][i]),
                      'j2d': [v for p in px for v in p], 'j3d': r['3d_joints'][i].astype(float).ravel().tolist(),
                      'camera': r['camera'][i].astype(float).tolist(), 'bbox': r['bbox'][i].astype(float).tolist(),
                      'betas': r['smpl'][i]['betas'].astype(float).tolist()})
    out.append(frame)
print(json.dumps(out))
`;
  const { stdout } = await execa(PYTHON, ['-c', code, pkl]);
  return JSON.parse(stdout);
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** Processes of a process group that still live (zombies count as gone: they run nothing). */
export async function liveInGroup(pgid: number): Promise<string[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,pgid=,stat=,args=']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, g, stat]) => Number(g) === pgid && !stat.startsWith('Z'))
    .map((cols) => cols.join(' '));
}

export async function pidAlive(pid: number): Promise<boolean> {
  const r = await execa('ps', ['-o', 'stat=', '-p', String(pid)], { reject: false });
  const stat = String(r.stdout).trim();
  return stat !== '' && !stat.startsWith('Z');
}
