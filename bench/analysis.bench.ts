/**
 * Coaching analysis (lib/pose/{angles,smooth,coherence,jitter,analysis}.ts), measured:
 * - jitter raw vs smoothed (median |second difference| of the skeleton joints, % of box height per
 *   frame^2 and mm per frame^2; lib/pose/jitter.ts) and the mean distance of the smoothed from the raw
 *   detected 2D joints (% of box height), per track, on the real PHALP samples, on the CPU runner's output
 *   of the real two-people video (BENCH_ANALYSIS_CPU=0 skips it: it runs the runner, ~20-60 s), and on a
 *   generated 1,300-frame two-person walking clip whose truth is known (also: error vs truth);
 * - cost of the joint angles, of smoothing and of the coherence check per 1,000 person-frames, and of
 *   the whole analysis (analyseSequence) of the 1,300-frame two-person clip: medians of several runs
 *   after warm-up, wall clock and process CPU time (the machine may be shared: load average printed).
 * Targets (issue 9): smoothed jitter <= 0.35 % box height per frame^2 (median), smoothed 2D within 1.5 %
 * of box height of the raw detections on average, whole analysis of the 1,300-frame clip < 100 ms.
 * Run alone: npx tsx bench/analysis.bench.ts
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readPhalpResults } from '../lib/phalp';
import { analyseSequence } from '../lib/pose/analysis';
import { anglesWithValidity } from '../lib/pose/angles';
import { findCoherenceBreaks } from '../lib/pose/coherence';
import { trackDeviation, trackJitter } from '../lib/pose/jitter';
import { smoothSequence } from '../lib/pose/smooth';
import type { PoseSequence } from '../lib/pose/types';
import { walkingClip } from '../test/analysis/motion';

const root = path.resolve(import.meta.dirname, '..');
const SAMPLES = path.resolve(root, '../shared/samples');
const ITER = Number(process.env.BENCH_ITER ?? 15);
const TARGET_JITTER = 0.35, TARGET_SHIFT = 1.5, TARGET_MS = 100;

const f2 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
const f1 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(1));
const personFrames = (seq: PoseSequence) => seq.frames.reduce((n, f) => n + f.persons.length, 0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** median wall ms and median process CPU ms of fn over ITER runs after 3 warm-ups */
function time(fn: () => unknown): { wall: number; cpu: number } {
  for (let i = 0; i < 3; i++) fn();
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function quality(name: string, raw: PoseSequence, truth?: PoseSequence) {
  const breaks = findCoherenceBreaks(raw);
  const smoothed = smoothSequence(raw, { breaks });
  const jr = trackJitter(raw), js = trackJitter(smoothed);
  const shift = trackDeviation(raw, smoothed);
  const errRaw = truth ? trackDeviation(truth, raw) : null, errSm = truth ? trackDeviation(truth, smoothed) : null;
  console.log(`\n${name}: ${raw.frame_count} frames, ${personFrames(raw)} person-frames, ${raw.width}x${raw.height}, ${raw.joint_set}; coherence breaks: ${breaks.length}` +
    (breaks.length ? ` (${Object.entries(breaks.reduce<Record<string, number>>((m, b) => ((m[b.reason] = (m[b.reason] ?? 0) + 1), m), {})).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''));
  console.log(`  track | jitter 2D raw -> smoothed (% box h/frame^2) | 3D raw -> smoothed (mm/frame^2) | smoothed vs raw detections (% box h)${truth ? ' | error vs truth raw -> smoothed (% box h)' : ''}`);
  const verdicts: boolean[] = [];
  jr.forEach((r, i) => {
    const s = js[i], d = shift.find((x) => x.track_id === r.track_id)?.deviation_pct ?? null;
    if (s.jitter_pct !== null && d !== null) verdicts.push(s.jitter_pct <= TARGET_JITTER && d <= TARGET_SHIFT);
    console.log(`  ${String(r.track_id).padStart(5)} | ${f2(r.jitter_pct).padStart(6)} -> ${f2(s.jitter_pct).padEnd(30)} | ${f1(r.jitter_3d_mm).padStart(5)} -> ${f1(s.jitter_3d_mm).padEnd(22)} | ${f2(d).padEnd(36)}` +
      (truth ? ` | ${f2(errRaw!.find((x) => x.track_id === r.track_id)?.deviation_pct)} -> ${f2(errSm!.find((x) => x.track_id === r.track_id)?.deviation_pct)}` : ''));
  });
  // the same shift without the frames flagged as breaks (there the raw value is known to be wrong)
  if (breaks.length) {
    const flagged = new Set(breaks.map((b) => `${b.track_id}:${b.frame}`));
    const clean: PoseSequence = { ...raw, frames: raw.frames.map((f) => ({ ...f, persons: f.persons.map((p) => (flagged.has(`${p.track_id}:${f.frame_number}`) ? { ...p, state: 'held' as const } : p)) })) };
    console.log(`  smoothed vs raw detections without the flagged frames: ${trackDeviation(clean, smoothed).map((d) => `track ${d.track_id} ${f2(d.deviation_pct)}`).join(', ')}`);
  }
  console.log(`  targets (jitter <= ${TARGET_JITTER}, shift <= ${TARGET_SHIFT}): ${verdicts.length ? (verdicts.every(Boolean) ? 'met' : 'MISSED') : 'n/a (too short)'}`);
}

async function cpuRunnerSequence(): Promise<PoseSequence | null> {
  if (process.env.BENCH_ANALYSIS_CPU === '0') return null;
  const { extractFrames, probeVideo } = await import('../lib/video');
  const { createCpuRunner } = await import('../worker/runners/cpu');
  const video = path.join(SAMPLES, 'video/two_people_jump.mp4');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-analysis-'));
  try {
    const framesDir = path.join(tmp, 'frames');
    const info = await probeVideo(video);
    const frameIndex = await extractFrames(video, framesDir, { info, quality: 2 });
    await fs.mkdir(path.join(tmp, 'work'));
    return await createCpuRunner().run({ clipId: 'bench', framesDir, frameIndex, video: info, workDir: path.join(tmp, 'work') }, { signal: new AbortController().signal, onProgress: () => {} });
  } catch (err) {
    console.log(`(CPU runner not measured: ${(err as Error).message})`);
    return null;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`analysis bench: node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const f of ['walk_8', 'seated_60fps', 'poses_tiny']) quality(`PHALP sample ${f}.pkl (real)`, await readPhalpResults(path.join(SAMPLES, 'phalp', `${f}.pkl`)));
  const cpu = await cpuRunnerSequence();
  if (cpu) quality('CPU runner on two_people_jump.mp4 (real video)', cpu);
  const { raw, truth } = walkingClip({ frames: 1300, people: 2, seed: 1 });
  quality('generated clip: two people walking, PHALP-like noise, 1,300 frames', raw, truth);

  const pf = personFrames(raw);
  const per1000 = (ms: number) => ((ms * 1000) / pf).toFixed(1);
  const persons = raw.frames.flatMap((f) => f.persons);
  const angles = time(() => {
    for (const p of persons) anglesWithValidity(raw.joint_set, p.keypoints_3d, p.camera);
  });
  const breaks = findCoherenceBreaks(raw);
  const smoothing = time(() => smoothSequence(raw, { breaks }));
  const coherence = time(() => findCoherenceBreaks(raw));
  const whole = time(() => analyseSequence(raw));
  console.log(`\ncost on the generated clip (${pf} person-frames; median of ${ITER}; wall / process CPU):`);
  console.log(`  joint angles + low-validity (anglesWithValidity): ${per1000(angles.wall)} / ${per1000(angles.cpu)} ms per 1,000 person-frames`);
  console.log(`  smoothing:                   ${per1000(smoothing.wall)} / ${per1000(smoothing.cpu)} ms per 1,000 person-frames`);
  console.log(`  coherence check:             ${per1000(coherence.wall)} / ${per1000(coherence.cpu)} ms per 1,000 person-frames`);
  console.log(`  whole analysis (breaks, smoothing, jitter raw+smoothed, shift) of 1,300 frames x 2 people: ${whole.wall.toFixed(1)} / ${whole.cpu.toFixed(1)} ms (target < ${TARGET_MS} ms: ${whole.wall < TARGET_MS ? 'met' : 'MISSED'})`);
  console.log(`  load average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
