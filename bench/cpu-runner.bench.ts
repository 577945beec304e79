/**
 * CPU pose runner, whole run (JPG decode included) on the real sample clip (1768x994, 230 frames, two
 * people). Prints frames per second, process CPU time per frame (main + worker threads, not ffmpeg),
 * peak RSS (sampled every 50 ms, plus the kernel's high-water mark), and simple quality figures.
 * Then runs the clip looped several times (symlinked frames) and prints RSS along the way to show
 * memory stays flat over a long clip.
 *
 *   npx tsx bench/cpu-runner.bench.ts                 # every configuration + long clip
 *   npx tsx bench/cpu-runner.bench.ts --only=default  # just the default, twice
 *   npx tsx bench/cpu-runner.bench.ts --loops=8       # longer long clip
 *
 * The 2 cores are shared with other work: the load average is printed with every figure; compare
 * CPU ms per frame between configurations rather than wall time when the load is high.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFrames, probeVideo } from '../lib/video';
import type { PoseSequence } from '../lib/pose/types';
import type { FrameIndex, VideoInfo } from '../lib/video/types';
import { createCpuRunner, type CpuRunnerOptions } from '../worker/runners/cpu';
import type { PreparedClip } from '../worker/runners/types';
import { findModelDir, modelBytes } from '../worker/runners/cpu/models';

const SAMPLE = path.resolve(import.meta.dirname, '../../shared/samples/video/two_people_jump.mp4');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const CONFIGS: Record<string, CpuRunnerOptions> = {
  default: {},
  'full': { landmarkModel: 'blazepose-full' },
  'heavy': { landmarkModel: 'blazepose-heavy' },
  '1-thread': { threads: 1 },
  'work-640': { workingSide: 640 },
  'work-1024': { workingSide: 1024 },
};

const load = () => os.loadavg()[0]!.toFixed(1);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

async function measure(label: string, clip: PreparedClip, opts: CpuRunnerOptions, onRss?: (progress: number, rss: number) => void) {
  const runner = createCpuRunner(opts);
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let tTrack = t0;
  let nextMark = 0.1;
  let seq: PoseSequence;
  try {
    seq = await runner.run(clip, {
      signal: new AbortController().signal,
      onProgress: (p) => {
        if (p.stage === 'tracking' && p.progress === 0) tTrack = performance.now();
        if (onRss && p.progress >= nextMark) { onRss(p.progress, process.memoryUsage.rss()); nextMark += 0.1; }
      },
    });
  } finally {
    clearInterval(sampler);
  }
  const wall = (performance.now() - t0) / 1000;
  const tracking = (performance.now() - tTrack) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const n = seq.frame_count;
  const ids = new Set(seq.frames.flatMap((f) => f.persons.map((p) => p.track_id)));
  const withPerson = seq.frames.filter((f) => f.persons.length > 0).length;
  const withTwo = seq.frames.filter((f) => f.persons.length >= 2).length;
  const conf = seq.frames.flatMap((f) => f.persons.map((p) => p.confidence ?? 0));
  console.log(
    `cpu-runner ${label}: ${(n / tracking).toFixed(1)} frames/s tracking (${(n / wall).toFixed(1)} incl. model load), ` +
      `${(((cpu.user + cpu.system) / 1000) / n).toFixed(0)} ms CPU/frame, peak RSS ${mb(peak)} ` +
      `(load avg ${loadBefore} -> ${load()}, threads ${runner.lastStats?.threads})`,
  );
  console.log(
    `  quality ${label}: person in ${withPerson}/${n} frames, two people in ${withTwo}, ${ids.size} track ids, ` +
      `mean confidence ${(conf.reduce((a, b) => a + b, 0) / Math.max(1, conf.length)).toFixed(2)}, ` +
      `model calls ${runner.lastStats?.landmarks} BlazePose + ${runner.lastStats?.detector} MultiPose`,
  );
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'cpu-bench-'));
try {
  // a child run reuses the parent's extracted frames and probe results
  const given = arg('frames');
  const framesDir = given ?? path.join(tmp, 'frames');
  const video: VideoInfo = given ? JSON.parse(await readFile(path.join(given, '..', 'video.json'), 'utf8')) : await probeVideo(SAMPLE);
  const frameIndex: FrameIndex = given
    ? JSON.parse(await readFile(path.join(given, '..', 'frames.json'), 'utf8'))
    : await extractFrames(SAMPLE, framesDir, { info: video, quality: 2 });
  if (!given) {
    await writeFile(path.join(tmp, 'video.json'), JSON.stringify(video));
    await writeFile(path.join(tmp, 'frames.json'), JSON.stringify(frameIndex));
  }
  await mkdir(path.join(tmp, 'work'));
  const clip: PreparedClip = { clipId: 'bench', framesDir, frameIndex, video, workDir: path.join(tmp, 'work') };
  const dir = findModelDir(['blazepose-lite', 'movenet-multipose']);
  if (!arg('one') && dir) {
    console.log(`sample ${video.width}x${video.height}, ${frameIndex.frameCount} frames; ${os.availableParallelism()} cores`);
    for (const m of ['blazepose-lite', 'blazepose-full', 'blazepose-heavy']) {
      console.log(`model files ${m} + movenet-multipose: ${mb(modelBytes(dir, [m, 'movenet-multipose']))}`);
    }
  }

  const one = arg('one');
  const only = arg('only');
  const loops = Number(arg('loops') ?? (only ? 0 : 4));
  if (!one) {
    // each measurement in a fresh process, so peak RSS is that run's own and not an earlier run's garbage
    const names = only ? only.split(',') : Object.keys(CONFIGS);
    const runs = names.flatMap((n) => (n === 'default' ? [n, n] : [n]));
    if (loops > 1) runs.push('long');
    for (const name of runs) {
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--one=${name}`, `--loops=${loops}`, `--frames=${framesDir}`], {
        stdio: 'inherit',
      });
      if (r.status !== 0) console.log(`cpu-runner ${name}: FAILED (exit ${r.status})`);
    }
  } else if (one !== 'long') {
    await measure(one, clip, CONFIGS[one]!);
  } else {
    // long clip: the sample looped, frames symlinked under new numbers
    const longDir = path.join(tmp, 'long');
    await mkdir(longDir);
    const n = frameIndex.frameCount;
    for (let i = 0; i < n * loops; i++) {
      await symlink(path.join(framesDir, `${String(i % n).padStart(6, '0')}.jpg`), path.join(longDir, `${String(i).padStart(6, '0')}.jpg`));
    }
    const longIndex = { ...frameIndex, frameCount: n * loops, pts: Array.from({ length: n * loops }, (_, i) => i / frameIndex.fps) };
    const marks: string[] = [];
    await measure(`default, sample looped ${loops}x (${n * loops} frames)`, { ...clip, framesDir: longDir, frameIndex: longIndex }, {}, (p, rss) => {
      marks.push(`${Math.round(p * 100)}%: ${mb(rss)}`);
    });
    console.log(`  RSS over the long clip: ${marks.join(', ')}`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
