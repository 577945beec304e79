/**
 * The PHALP runner against the track.py TEST DOUBLE (test/fixtures/phalp-double): real processes,
 * real JPGs from ffmpeg, a real joblib results file, read back by lib/phalp and by joblib itself.
 */
import { copyFile, mkdir, readFile, readdir, stat, utimes, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameIndex } from '../../lib/video/types';
import type { PoseSequence } from '../../lib/pose/types';
import { createPhalpRunner } from '../../worker/runners/phalp/index';
import { RunnerError } from '../../worker/runners/types';
import {
  DOUBLE_DIR, clipFor, liveInGroup, makeFrames, phalpConfig, pidAlive, readJson, readPklWithJoblib, recordingContext,
  tempDir, withDoubleEnv, type PklPerson,
} from './helpers';

let root: string;
let frames40: string;
let index40: FrameIndex;
let frames80: string;
let index80: FrameIndex;
let runCount = 0;

async function freshWorkDir(): Promise<string> {
  const dir = path.join(root, 'runs', String(++runCount));
  await mkdir(dir, { recursive: true });
  return dir;
}

function freshWorkDirSync(): string {
  // the runner creates its work folder when it is missing
  return path.join(root, 'runs', String(++runCount));
}

async function expectRunnerError(p: Promise<unknown>): Promise<RunnerError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunnerError);
  return err as RunnerError;
}

/** The sequence says exactly what the pkl says: who is where, detected or held, at every frame. */
function expectSameAsPkl(seq: PoseSequence, pkl: PklPerson[][]) {
  expect(seq.frames.length).toBe(pkl.length);
  seq.frames.forEach((frame, i) => {
    expect(frame.frame_number).toBe(i);
    const got = frame.persons.map((p) => p.track_id).sort((a, b) => a - b);
    expect(got, `frame ${i} tracks`).toEqual(pkl[i].map((p) => p.tid).sort((a, b) => a - b));
    for (const want of pkl[i]) {
      const p = frame.persons.find((x) => x.track_id === want.tid)!;
      expect(p.frames_since_seen, `frame ${i} tid ${want.tid}`).toBe(want.tracked_time);
      if (want.tracked_time === 0) expect(p.state).toBe('detected');
      else expect(['held', 'interpolated']).toContain(p.state); // never presented as a detection
      if (p.state !== 'interpolated') {
        expect(Array.from(p.keypoints_2d).length).toBe(want.j2d.length);
        Array.from(p.keypoints_2d).forEach((v, k) => expect(Math.abs(v - want.j2d[k]), `frame ${i} 2d ${k}`).toBeLessThan(1e-3));
        Array.from(p.keypoints_3d).forEach((v, k) => expect(Math.abs(v - want.j3d[k])).toBeLessThan(1e-5));
        expect(p.camera!.tz).toBeCloseTo(want.camera[2], 4);
        expect(p.confidence!).toBeCloseTo(want.conf, 5);
      }
    }
  });
}

beforeAll(async () => {
  root = await tempDir('phalp-runner-');
  frames40 = path.join(root, 'clip40', 'frames');
  index40 = await makeFrames(frames40, 40, 640, 360);
  frames80 = path.join(root, 'clip80', 'frames');
  index80 = await makeFrames(frames80, 80, 320, 180);
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('PHALP runner (against the track.py test double)', () => {
  it('runs track.py with exactly the argv, cwd and environment of PHALP.md and returns one frame per JPG', async () => {
    const workDir = await freshWorkDir();
    const runner = createPhalpRunner(phalpConfig());
    const { ctx, events } = recordingContext();
    const seq = await withDoubleEnv({ CUDA_VISIBLE_DEVICES: '1' }, () => runner.run(clipFor(frames40, index40, workDir), ctx));

    const inv = await readJson<{ argv: string[]; cwd: string; env: Record<string, string | null> }>(path.join(workDir, 'double-argv.json'));
    expect(inv.argv).toEqual([`video.source=${frames40}`, `video.output_dir=${workDir}`, 'video.end_frame=-1', 'render.enable=false']);
    expect(inv.cwd).toBe(DOUBLE_DIR);
    expect(inv.env).toEqual({
      PYTHONUNBUFFERED: '1', FORCE_COLOR: '1', NO_COLOR: '1', COLUMNS: '200', HOME: process.env.HOME || os.homedir(),
      CUDA_VISIBLE_DEVICES: '1', TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD: '1',
    });

    expect(seq.runner).toBe('phalp');
    expect(seq.frame_count).toBe(40);
    expect(seq.frames).toHaveLength(40);
    expect([seq.width, seq.height]).toEqual([640, 360]);
    const pkl = await readPklWithJoblib(path.join(workDir, 'results', 'demo_frames.pkl'));
    expectSameAsPkl(seq, pkl);
    // walk_8-like timeline: confirmed at frame 8, detected to frame 34, then held for 5 frames
    expect(seq.frames.slice(0, 8).every((f) => f.persons.length === 0)).toBe(true);
    expect(seq.frames[8].persons[0].state).toBe('detected');
    expect(seq.frames[39].persons[0]).toMatchObject({ state: 'held', frames_since_seen: 5 });
    expect(seq.frames[5].timestamp).toBeCloseTo(5 / 30, 9);

    // track.log ends up with the whole output: Hydra lines, the bar, the saving line
    const log = await readFile(path.join(workDir, 'track.log'), 'utf8');
    expect(log).toContain('Loading Detection model...');
    expect(log).toMatch(/Tracking : frames .* 100% eta/);
    expect(log).toContain('Saving tracks at');
    expect(log).not.toContain('\x1b');
    expect(events.at(-1)).toMatchObject({ stage: 'reading-results', progress: 1 });
  });

  it('reports loading lines, then tracking progress that rises to 100 % with an eta', async () => {
    const workDir = await freshWorkDir();
    const { ctx, events } = recordingContext();
    await withDoubleEnv({ PHALP_DOUBLE_FPS: '30' }, () => createPhalpRunner(phalpConfig()).run(clipFor(frames40, index40, workDir), ctx));
    const loading = events.filter((e) => e.stage === 'loading-model').map((e) => e.logLine);
    expect(loading).toContain('Loading Detection model...');
    const firstTracking = events.findIndex((e) => e.stage === 'tracking');
    expect(events.slice(0, firstTracking).every((e) => e.stage === 'loading-model')).toBe(true);
    const tracking = events.filter((e) => e.stage === 'tracking' && e.logLine?.startsWith('Tracking'));
    const values = tracking.map((e) => e.progress);
    expect(new Set(values).size).toBeGreaterThanOrEqual(5); // ~1.3 s at ~10 redraws a second
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(values.at(-1)).toBe(1);
    expect(tracking.some((e) => typeof e.etaSeconds === 'number')).toBe(true);
  });

  it('two people: late confirmation, a ghost that is held for 50 frames then dropped, an occlusion', async () => {
    const workDir = await freshWorkDir();
    const seq = await withDoubleEnv({ PHALP_DOUBLE_PEOPLE: '2', PHALP_DOUBLE_FPS: '400' }, () =>
      createPhalpRunner(phalpConfig()).run(clipFor(frames80, index80, workDir), recordingContext().ctx),
    );
    expectSameAsPkl(seq, await readPklWithJoblib(path.join(workDir, 'results', 'demo_frames.pkl')));
    const at = (f: number, tid: number) => seq.frames[f].persons.find((p) => p.track_id === tid);
    expect(at(3, 1)).toBeUndefined(); // not yet confirmed
    expect(at(4, 1)?.state).toBe('detected');
    expect(at(15, 2)).toBeUndefined(); // first detected at 12, confirmed at 16
    expect(at(16, 2)?.state).toBe('detected');
    expect(at(20, 1)).toMatchObject({ state: 'held', frames_since_seen: 1 });
    expect(at(69, 1)).toMatchObject({ state: 'held', frames_since_seen: 50 });
    expect(at(70, 1)).toBeUndefined(); // dropped after 50 ghost frames
    expect(at(41, 2)?.frames_since_seen).toBe(2);
    expect(at(43, 2)?.state).toBe('detected');
    // a held person carries the stale values of its last detection
    expect(Array.from(at(60, 1)!.keypoints_2d)).toEqual(Array.from(at(19, 1)!.keypoints_2d));
  });

  it('a clip with nobody detectable succeeds with every frame empty', async () => {
    const seq = await withDoubleEnv({ PHALP_DOUBLE_PEOPLE: '0' }, () =>
      createPhalpRunner(phalpConfig()).run(clipFor(frames40, index40, freshWorkDirSync()), recordingContext().ctx),
    );
    expect(seq.frames).toHaveLength(40);
    expect(seq.frames.every((f) => f.persons.length === 0)).toBe(true);
  });

  it('handles frame and work folders whose paths contain spaces (through symlinks) and cleans them up', async () => {
    const spaced = path.join(root, 'with space', 'my frames');
    await mkdir(spaced, { recursive: true });
    for (const f of (await readdir(frames40)).slice(0, 12)) await copyFile(path.join(frames40, f), path.join(spaced, f));
    const index: FrameIndex = { ...index40, frameCount: 12, pts: index40.pts.slice(0, 12) };
    const workDir = path.join(root, 'with space', 'run $(1)');
    await mkdir(workDir, { recursive: true });
    const tmpBefore = (await readdir(os.tmpdir())).filter((n) => n.startsWith('phalp-paths-'));

    const seq = await createPhalpRunner(phalpConfig()).run(clipFor(spaced, index, workDir), recordingContext().ctx);
    expect(seq.frames).toHaveLength(12);
    const inv = await readJson<{ argv: string[] }>(path.join(workDir, 'double-argv.json'));
    for (const a of inv.argv) expect(a).toMatch(/^[A-Za-z0-9._/=-]+$/);
    expect(await stat(path.join(workDir, 'results', 'demo_frames.pkl'))).toBeTruthy();
    expect((await readdir(os.tmpdir())).filter((n) => n.startsWith('phalp-paths-'))).toEqual(tmpBefore);
    expect(await readdir(spaced)).toHaveLength(12); // the links went, the frames stayed
  });
});

describe('PHALP runner failures', () => {
  const cases: { env: Record<string, string>; code: string; message: RegExp; tail: RegExp }[] = [
    { env: { PHALP_DOUBLE_MODE: 'fail-before-loop' }, code: 'smpl_missing', message: new RegExp(`${DOUBLE_DIR}/data/basicModel_neutral_lbs_10_207_0_v1.0.0.pkl`), tail: /SMPL model not found/ },
    { env: { PHALP_DOUBLE_MODE: 'fail-before-loop', PHALP_DOUBLE_ERROR: 'smpl-download' }, code: 'smpl_download', message: /\.cache\/phalp\/3D\/models\/smpl\/SMPL_NEUTRAL\.pkl/, tail: /FileNotFoundError/ },
    { env: { PHALP_DOUBLE_MODE: 'fail-before-loop', PHALP_DOUBLE_ERROR: 'egl' }, code: 'egl_missing', message: /EGL/, tail: /eglInitialize/ },
    { env: { PHALP_DOUBLE_MODE: 'fail-before-loop', PHALP_DOUBLE_ERROR: 'weights-only' }, code: 'torch_weights_only', message: /TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1/, tail: /Weights only load failed/ },
    { env: { PHALP_DOUBLE_MODE: 'fail-before-loop', PHALP_DOUBLE_ERROR: 'chumpy' }, code: 'chumpy_numpy', message: /chumpy/, tail: /cannot import name 'bool'/ },
    { env: { PHALP_DOUBLE_MODE: 'crash-in-loop' }, code: 'gpu_out_of_memory', message: /^The GPU ran out of memory/, tail: /torch\.cuda\.OutOfMemoryError: CUDA out of memory/ },
    { env: { PHALP_DOUBLE_MODE: 'crash-in-loop', PHALP_DOUBLE_ERROR: 'kernel-image' }, code: 'gpu_kernel_image', message: /Rebuild/, tail: /no kernel image/ },
    { env: { PHALP_DOUBLE_MODE: 'no-output' }, code: 'no_results', message: /without writing its results/, tail: /Tracking : frames .*100%/ },
  ];
  for (const c of cases) {
    it(`${Object.values(c.env).join(' ')} -> ${c.code}`, async () => {
      const workDir = await freshWorkDir();
      const err = await withDoubleEnv(c.env, () =>
        expectRunnerError(createPhalpRunner(phalpConfig()).run(clipFor(frames40, index40, workDir), recordingContext().ctx)),
      );
      expect(err.code).toBe(c.code);
      expect(err.message).toMatch(c.message);
      expect(err.options.logTail?.join('\n')).toMatch(c.tail);
      expect(err.options.fallbackAllowed).toBe(true);
      expect(await readFile(path.join(workDir, 'track.log'), 'utf8')).toMatch(c.tail);
    });
  }

  it('a source PHALP rejects is reported as our bug (Invalid source path, exit 1)', async () => {
    const workDir = await freshWorkDir();
    const empty = path.join(root, 'no-jpgs');
    await mkdir(empty, { recursive: true });
    const err = await expectRunnerError(createPhalpRunner(phalpConfig()).run(clipFor(empty, index40, workDir), recordingContext().ctx));
    expect(err.code).toBe('invalid_source');
    expect(err.options.logTail?.join('\n')).toContain('Error executing job with overrides');
  });

  it('a pkl left over from an earlier run never counts as success', async () => {
    const workDir = await freshWorkDir();
    await createPhalpRunner(phalpConfig()).run(clipFor(frames40, index40, workDir), recordingContext().ctx);
    const old = path.join(workDir, 'results', 'demo_frames.pkl');
    await utimes(old, new Date('2020-01-01'), new Date('2020-01-01'));
    await writeFile(path.join(workDir, 'results', 'demo_other.pkl'), 'stale');
    for (const mode of ['no-output', 'crash-in-loop']) {
      const err = await withDoubleEnv({ PHALP_DOUBLE_MODE: mode }, () =>
        expectRunnerError(createPhalpRunner(phalpConfig()).run(clipFor(frames40, index40, workDir), recordingContext().ctx)),
      );
      expect(err.code).toBe(mode === 'no-output' ? 'no_results' : 'gpu_out_of_memory');
      expect(await readdir(path.join(workDir, 'results'))).toEqual([]);
    }
  });

  it('a PHALP_PYTHON that does not exist gives a clear error', async () => {
    const err = await expectRunnerError(
      createPhalpRunner(phalpConfig({ PHALP_PYTHON: '/nonexistent/python' })).run(clipFor(frames40, index40, await freshWorkDir()), recordingContext().ctx),
    );
    expect(err.code).toBe('phalp_not_started');
    expect(err.message).toContain('/nonexistent/python');
  });
});

describe('PHALP runner stops the whole process tree', () => {
  async function expectTreeGone(workDir: string) {
    const pids = await readJson<{ python: number; pgid: number; children: number[] }>(path.join(workDir, 'double-pids.json'));
    expect(pids.children).toHaveLength(1); // the double's `sleep 1000` was running
    // SIGKILL is delivered asynchronously: give the kernel a moment before looking
    for (let i = 0; i < 20 && (await liveInGroup(pids.pgid)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await liveInGroup(pids.pgid)).toEqual([]);
    expect(await pidAlive(pids.python)).toBe(false);
    expect(await pidAlive(pids.children[0])).toBe(false);
  }

  it('on timeout (POSE_TIMEOUT_MS): SIGTERM, then SIGKILL for a process that ignores it', async () => {
    const workDir = await freshWorkDir();
    const t0 = Date.now();
    const err = await withDoubleEnv({ PHALP_DOUBLE_MODE: 'hang', PHALP_DOUBLE_FPS: '40', PHALP_DOUBLE_IGNORE_SIGTERM: '1' }, () =>
      expectRunnerError(
        createPhalpRunner(phalpConfig({ POSE_TIMEOUT_MS: '5000' }), { killGraceMs: 500 }).run(clipFor(frames40, index40, workDir), recordingContext().ctx),
      ),
    );
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/POSE_TIMEOUT_MS/);
    // (5 s leaves a loaded 2-core machine time to start Python and reach the hang at 30 %)
    expect(err.options.logTail?.join('\n')).toMatch(/Tracking : frames .*30%/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    await expectTreeGone(workDir);
  });

  it('on cancel (ctx.signal)', async () => {
    const workDir = await freshWorkDir();
    const abort = new AbortController();
    const { ctx, events } = recordingContext(abort.signal);
    const seen = { tracking: false };
    const onProgress = ctx.onProgress;
    ctx.onProgress = (p) => {
      onProgress(p);
      if (p.stage === 'tracking' && p.progress >= 0.3 && !seen.tracking) {
        seen.tracking = true;
        setTimeout(() => abort.abort(), 200); // while it hangs, with its child running
      }
    };
    const err = await withDoubleEnv({ PHALP_DOUBLE_MODE: 'hang', PHALP_DOUBLE_FPS: '40' }, () =>
      expectRunnerError(createPhalpRunner(phalpConfig()).run(clipFor(frames40, index40, workDir), ctx)),
    );
    expect(err.code).toBe('canceled');
    expect(err.options.fallbackAllowed).toBe(false);
    expect(events.some((e) => e.stage === 'tracking')).toBe(true);
    await expectTreeGone(workDir);
  });
});
