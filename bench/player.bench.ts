/**
 * Player figures (issue 6). Run alone: `npx tsx bench/player.bench.ts`.
 *
 * Always (Node): compact pose payload size per person-frame and encode/decode time for a 230-frame,
 * two-person PHALP-like sequence (test data generator), and the JS work of a frame change
 * (skeleton + SMPL skinning for two people, lib/viewer/bodies.ts) with a generated stand-in body model.
 *
 * In Chromium, against a RUNNING app (set BENCH_APP_URL, e.g. http://127.0.0.1:3000, signed in as in
 * bench/app-session.ts; optional
 * BENCH_CLIP_ID, default: the newest done clip, preferring one with SMPL): first 3D frame after
 * navigation, payload bytes, per-frame JS work and GL time (gl.finish()) from window.__playerStats
 * while stepping frames (paused: exact meshes) and while playing (fast meshes), the video overlay's
 * drawing time, and the largest 3D-vs-video drift while playing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { decodePoseSequence, encodePoseSequence } from '../lib/pose/compact';
import { PHALP45 } from '../lib/pose/joints';
import { SmplEvaluator } from '../lib/smpl';
import { loadSmplModel } from '../lib/smpl/load';
import { TrackBodies } from '../lib/viewer/bodies';
import { buildTrackTable } from '../lib/viewer/tracks';
import { syntheticSequence } from '../test/frames/synthetic-sequence';
import { benchSession, sessionCookies } from './app-session';

const line = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? NaN;

async function nodeFigures() {
  const seq = syntheticSequence({ frames: 230, tracks: 2, width: 1768, height: 994 });
  const personFrames = seq.frames.reduce((n, f) => n + f.persons.length, 0);
  let t = performance.now();
  let bytes = encodePoseSequence(seq);
  for (let i = 0; i < 9; i++) bytes = encodePoseSequence(seq);
  const enc = (performance.now() - t) / 10;
  t = performance.now();
  for (let i = 0; i < 10; i++) decodePoseSequence(bytes);
  const dec = (performance.now() - t) / 10;
  line(`player payload (230 frames, 2 people, PHALP): ${bytes.byteLength} bytes, ${(bytes.byteLength / personFrames).toFixed(0)} bytes per person-frame (target <= 1536)`);
  line(`player payload encode: ${enc.toFixed(2)} ms, decode: ${dec.toFixed(2)} ms`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-bench-'));
  try {
    execFileSync('/usr/bin/python3', [path.resolve('scripts/fixtures/make_smpl_standin.py'), dir], { stdio: 'ignore' });
    const model = await loadSmplModel(path.join(dir, 'SMPL_NEUTRAL.pkl'));
    const exact = new SmplEvaluator(model);
    const fast = new SmplEvaluator(model, { poseBlendShapes: false });
    const forward = {
      vertexCount: model.numVertices, faces: model.faces,
      compute: (p: Parameters<SmplEvaluator['forward']>[0], out: Float32Array, isExact: boolean) => (isExact ? exact : fast).forward(p, out),
    };
    const bodies = new TrackBodies(seq, buildTrackTable(seq), PHALP45.bones, forward);
    for (const isExact of [false, true]) {
      const times: number[] = [];
      for (let round = 0; round < 2; round++) {
        for (let f = 0; f < seq.frames.length; f++) {
          const t0 = performance.now();
          bodies.setFrame(f, () => true, isExact);
          times.push(performance.now() - t0);
        }
      }
      const what = isExact ? `paused/exact, ${exact.kernelKind} pose blend shapes` : 'playing, no pose blend shapes';
      line(`player frame change in Node (2 people, skeleton + SMPL skinning, stand-in model ${model.numVertices} vertices, ${what}): median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms`);
    }
  } catch (err) {
    line(`player frame change in Node: skipped (${(err as Error).message.split('\n')[0]})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function browserFigures(appUrl: string) {
  const session = await benchSession(appUrl);
  const list = (await (await fetch(`${appUrl}/api/clips`, { headers: session.headers })).json()) as { clips: { id: string; status: string; hasSmpl: boolean; frameCount: number | null; fps: number | null }[] };
  const done = list.clips.filter((c) => c.status === 'done');
  const clip = done.find((c) => c.id === process.env.BENCH_CLIP_ID) ?? done.find((c) => c.hasSmpl) ?? done[0];
  if (!clip) {
    line(`player in Chromium: skipped (no done clip at ${appUrl})`);
    return;
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addCookies(sessionCookies(appUrl, session));
    const page = await context.newPage();
    const firstFrames: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${appUrl}/clips/${clip.id}`);
      await page.waitForFunction(() => (window as unknown as { __playerStats?: { firstFrameAt: number | null } }).__playerStats?.firstFrameAt != null, null, { timeout: 60_000 });
      firstFrames.push(await page.evaluate(() => (window as unknown as { __playerStats: { firstFrameAt: number } }).__playerStats.firstFrameAt));
    }
    line(`player first 3D frame after navigation (${clip.frameCount} frames, ${clip.hasSmpl ? 'SMPL' : 'skeleton'}): median ${median(firstFrames).toFixed(0)} ms of ${firstFrames.map((x) => x.toFixed(0)).join(', ')} (target <= 2000)`);
    if (clip.hasSmpl) await page.waitForFunction(() => (window as unknown as { __player: { meshAvailable(): boolean } }).__player.meshAvailable(), null, { timeout: 30_000 }).catch(() => line('player: body model not available, skeleton figures only'));
    const s0 = await page.evaluate(() => (window as unknown as { __playerStats: { posesBytes: number; personFrames: number; posesFetchMs: number; decodeMs: number } }).__playerStats);
    line(`player poses request: ${s0.posesBytes} bytes, ${(s0.posesBytes / Math.max(1, s0.personFrames)).toFixed(0)} bytes per person-frame, fetch ${s0.posesFetchMs.toFixed(1)} ms, decode ${s0.decodeMs.toFixed(1)} ms`);
    await page.evaluate(() => {
      const w = window as unknown as { __playerStats: { frameJsMs: number[]; frameGlMs: number[]; measureGl: boolean } };
      w.__playerStats.frameJsMs.length = 0;
      w.__playerStats.frameGlMs.length = 0;
      w.__playerStats.measureGl = true;
    });
    const frames = clip.frameCount ?? 100;
    for (let f = 0; f < Math.min(frames, 120); f++) {
      await page.evaluate((f) => (window as unknown as { __player: { seek(f: number): void } }).__player.seek(f), f);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    const s1 = await page.evaluate(() => (window as unknown as { __playerStats: { frameJsMs: number[]; frameGlMs: number[] } }).__playerStats);
    line(`player frame change JS when stepping (paused: exact SMPL with pose blend shapes, normals, buffers) in Chromium: median ${median(s1.frameJsMs).toFixed(2)} ms, p95 ${p95(s1.frameJsMs).toFixed(2)} ms over ${s1.frameJsMs.length} frames`);
    line(`player frame GL when stepping (render + finish, SwiftShader CPU rasteriser) in Chromium: median ${median(s1.frameGlMs).toFixed(2)} ms, p95 ${p95(s1.frameGlMs).toFixed(2)} ms`);
    await page.evaluate(() => {
      const w = window as unknown as { __playerStats: { measureGl: boolean; maxDriftFrames: number; frameJsMs: number[]; frameGlMs: number[]; overlayMs: number[] }; __player: { seek(f: number): void } };
      w.__playerStats.measureGl = false;
      w.__player.seek(0);
    });
    await page.waitForTimeout(500);
    await page.evaluate(() => {
      const w = window as unknown as { __playerStats: { maxDriftFrames: number; maxVideoStep: number; presentedFrames: number; frameJsMs: number[]; frameGlMs: number[]; overlayMs: number[] } };
      w.__playerStats.maxDriftFrames = 0;
      w.__playerStats.presentedFrames = 0;
      w.__playerStats.maxVideoStep = 0;
      w.__playerStats.frameJsMs.length = 0;
      w.__playerStats.frameGlMs.length = 0;
      w.__playerStats.overlayMs.length = 0;
    });
    await page.locator('body').press('Space');
    // play most of the clip (not past its end: the drift figure is about playback, not the stop)
    const fps = clip.fps ?? 30;
    const playMs = Math.min(6000, Math.max(1000, ((frames - 15) / fps) * 1000));
    await page.waitForTimeout(playMs);
    const s2 = await page.evaluate(() => {
      const w = window as unknown as { __playerStats: { maxDriftFrames: number; maxVideoStep: number; presentedFrames: number; frameJsMs: number[]; frameGlMs: number[]; overlayMs: number[] }; __player: { frame(): number } };
      return { ...w.__playerStats, frame: w.__player.frame() };
    });
    await page.locator('body').press('Space');
    line(`player frame change JS while playing (fast SMPL, normals, buffers) in Chromium: median ${median(s2.frameJsMs).toFixed(2)} ms, p95 ${p95(s2.frameJsMs).toFixed(2)} ms over ${s2.frameJsMs.length} frames (target <= 4)`);
    line(`player frame GL while playing (render incl. buffer upload, no finish) in Chromium: median ${median(s2.frameGlMs).toFixed(2)} ms, p95 ${p95(s2.frameGlMs).toFixed(2)} ms`);
    line(`player video overlay while playing (2D canvas skeletons) in Chromium: median ${median(s2.overlayMs).toFixed(2)} ms, p95 ${p95(s2.overlayMs).toFixed(2)} ms`);
    line(`player playback drift (${(playMs / 1000).toFixed(1)} s at 1x, reached frame ${s2.frame}, ${s2.presentedFrames} video frames presented, largest step between presented video frames ${s2.maxVideoStep}): max ${s2.maxDriftFrames} frame(s) between the 3D view and the video (target <= 1)`);
  } finally {
    await browser.close();
  }
}

await nodeFigures();
const appUrl = process.env.BENCH_APP_URL;
if (appUrl) await browserFigures(appUrl.replace(/\/$/, ''));
else line('player in Chromium: skipped (set BENCH_APP_URL to a running app, e.g. http://127.0.0.1:3000)');
