/**
 * The track.py TEST DOUBLE must stay faithful to the real PHALP results: same per-frame key layout as
 * the real samples, joblib zlib container, numpy scalar conf, 2D joints that are the projection of
 * 3D joints + camera (PHALP.md section 3), valid rotations, ghosts that are stale copies.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOUBLE_DIR, PYTHON, makeFrames, tempDir } from './helpers';

const SAMPLES = path.resolve(import.meta.dirname, '../../../shared/samples/phalp');

let dir: string;

async function runDouble(outName: string, args: string[], env: Record<string, string> = {}) {
  return execa(PYTHON, ['track.py', `video.source=${dir}/frames`, `video.output_dir=${dir}/${outName}`, ...args], {
    cwd: DOUBLE_DIR,
    env: { PHALP_DOUBLE_FPS: '1000', ...env },
    reject: false,
  });
}

/** Facts about a results file, computed by joblib/numpy (python), as JSON. */
async function inspect(pkl: string): Promise<Record<string, unknown>> {
  const code = `
import json, sys, zlib, joblib, numpy as np
raw = open(sys.argv[1], 'rb').read()
d = joblib.load(sys.argv[1])
recs = list(d.values())
keys = [list(r.keys()) for r in recs if r['tid']]
proj_err, rot_err, det_err, row44 = 0.0, 0.0, 0.0, 0.0
stale_ok = True
last = {}
for r in recs:
    for i, tid in enumerate(r['tid']):
        H, W = r['size'][i]; S = max(H, W); top = (S - H) // 2; left = (S - W) // 2; f = 5000 * S / 256
        p = r['3d_joints'][i].astype(float) + r['camera'][i].astype(float)
        u = f * p[:, 0] / p[:, 2] + S / 2 - left; v = f * p[:, 1] / p[:, 2] + S / 2 - top
        j = r['2d_joints'][i].astype(float).reshape(-1, 2)
        proj_err = max(proj_err, float(np.abs(j[:, 0] * S - left - u).max()), float(np.abs(j[:, 1] * S - top - v).max()))
        row44 = max(row44, float(np.abs(r['3d_joints'][i][44]).max()))
        for m in np.concatenate([r['smpl'][i]['global_orient'], r['smpl'][i]['body_pose']]):
            rot_err = max(rot_err, float(np.abs(m.astype(float) @ m.T.astype(float) - np.eye(3)).max()))
            det_err = max(det_err, abs(float(np.linalg.det(m.astype(float))) - 1))
        if r['tracked_time'][i] == 0:
            last[tid] = r['smpl'][i]
        elif r['smpl'][i] is not last[tid]:
            stale_ok = False
print(json.dumps({
    'zlib': raw[:2].hex(), 'frames': len(recs), 'times': [r['time'] for r in recs],
    'key_sets': sorted(set(json.dumps(k) for k in keys)),
    'conf_type': type(recs[-1]['conf'][0]).__name__ if recs[-1]['conf'] else None,
    'dtypes': {k: str(recs[-1][k][0].dtype) for k in ['bbox', 'camera', 'camera_bbox', '3d_joints', '2d_joints']} if recs[-1]['tid'] else None,
    'shapes': {k: list(recs[-1][k][0].shape) for k in ['3d_joints', '2d_joints']} if recs[-1]['tid'] else None,
    'proj_err_px': proj_err, 'rot_err': rot_err, 'det_err': det_err, 'row44': row44, 'stale_ok': stale_ok,
    'size': recs[-1]['size'][0] if recs[-1]['tid'] else None,
}))
`;
  const { stdout } = await execa(PYTHON, ['-c', code, pkl]);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  dir = await tempDir('phalp-double-');
  await makeFrames(path.join(dir, 'frames'), 30, 480, 270);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('track.py test double', () => {
  it('writes results in the real format, keys exactly like the real samples (render off and on)', async () => {
    for (const [render, sample] of [['false', 'seated_60fps.pkl'], ['true', 'walk_8.pkl']] as const) {
      const out = `out-render-${render}`;
      expect((await runDouble(out, ['video.end_frame=-1', `render.enable=${render}`])).exitCode).toBe(0);
      const mine = await inspect(path.join(dir, out, 'results', 'demo_frames.pkl'));
      const real = await inspect(path.join(SAMPLES, sample));
      expect(mine.zlib).toBe('785e'); // joblib compress=3: one zlib stream
      expect(mine.key_sets).toEqual(real.key_sets);
      expect(mine.conf_type).toBe(real.conf_type);
      expect(mine.dtypes).toEqual(real.dtypes);
      expect(mine.shapes).toEqual(real.shapes);
      expect(mine.size).toEqual([270, 480]); // [H, W]
      expect(mine.proj_err_px as number).toBeLessThan(0.01);
      expect(mine.rot_err as number).toBeLessThan(1e-5);
      expect(mine.det_err as number).toBeLessThan(1e-5);
      expect(mine.row44).toBe(0);
      expect(mine.stale_ok).toBe(true);
      expect(real.stale_ok).toBe(true); // the real file shares a ghost's objects with its last detection too
      expect(mine.times).toEqual(Array.from({ length: 30 }, (_, i) => i));
    }
  });

  it('cuts clips at video.end_frame (default 1300, like PHALP) and keeps everything with -1', async () => {
    await runDouble('out-end', ['video.end_frame=12']);
    expect((await inspect(path.join(dir, 'out-end', 'results', 'demo_frames.pkl'))).frames).toBe(12);
    // 1303 tiny frames with nobody in them (keeps the pickle small): without -1 the last 3 are dropped
    const long = path.join(dir, 'long', 'frames');
    await makeFrames(long, 1303, 32, 32);
    const run = (out: string, args: string[]) =>
      execa(PYTHON, ['track.py', `video.source=${long}`, `video.output_dir=${dir}/${out}`, ...args], { cwd: DOUBLE_DIR, env: { PHALP_DOUBLE_FPS: '100000', PHALP_DOUBLE_PEOPLE: '0' } });
    await run('out-default', []);
    expect((await inspect(path.join(dir, 'out-default', 'results', 'demo_frames.pkl'))).frames).toBe(1300);
    await run('out-all', ['video.end_frame=-1']);
    expect((await inspect(path.join(dir, 'out-all', 'results', 'demo_frames.pkl'))).frames).toBe(1303);
  });

  it('rejects what PHALP rejects: an upper-case .MP4 and a non-Hydra argument', async () => {
    const upper = await execa(PYTHON, ['track.py', `video.source=${dir}/clip.MP4`, `video.output_dir=${dir}/o-upper`], { cwd: DOUBLE_DIR, reject: false });
    expect(upper.exitCode).toBe(1);
    expect(upper.stderr).toMatch(/^Error executing job with overrides: \[/);
    expect(upper.stderr).toContain('Exception: Invalid source path');
    const bad = await execa(PYTHON, ['track.py', 'video.source', `${dir}/frames`], { cwd: DOUBLE_DIR, reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("Error parsing override 'video.source'");
  });

  it('without FORCE_COLOR (a pipe) prints the bar once at the end; with it, live redraws with \\r and ANSI', async () => {
    const plain = await runDouble('o-plain', ['video.end_frame=-1'], { FORCE_COLOR: '', PHALP_DOUBLE_FPS: '30' });
    expect(plain.stdout).not.toContain('\r');
    expect(plain.stdout).not.toContain('\x1b');
    expect(plain.stdout.match(/Tracking : frames/g)).toHaveLength(1);
    const live = await runDouble('o-live', ['video.end_frame=-1'], { FORCE_COLOR: '1', NO_COLOR: '1', PHALP_DOUBLE_FPS: '30' });
    expect(live.stdout).toContain('\r\x1b[2KTracking : frames');
    expect(live.stdout).not.toMatch(/\x1b\[\d+(;\d+)*m/); // NO_COLOR: no colour codes
    expect((live.stdout.match(/Tracking : frames/g) ?? []).length).toBeGreaterThanOrEqual(8); // ~1 s at ~10/s
  });
});
