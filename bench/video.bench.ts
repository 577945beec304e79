/**
 * Video stage speed: probe (exact frame count), upload validation, frame extraction (JPG q3) and the
 * playable H.264 copy, in frames per second, for the real sample clip and a generated 1080p 60-second
 * clip (H.264 30 fps, like a phone). Run alone: `npx tsx bench/video.bench.ts`
 * (BENCH_VIDEO_SECONDS=10 for a shorter generated clip; BENCH_VIDEO_PRESETS=ultrafast,veryfast to compare
 * x264 presets on the sample). The machine's 2 cores are shared: figures are noisy, compare runs on a quiet box.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { extractFrames } from '../lib/video/extract';
import { makePlayable } from '../lib/video/playable';
import { probeVideo, validateVideo } from '../lib/video/probe';
import { makeCfrClip } from '../scripts/fixtures/make-videos';

const SAMPLE = path.resolve(import.meta.dirname, '../../shared/samples/video/two_people_jump.mp4');
const line = (s: string) => process.stdout.write(`${s}\n`);
const secs = (t0: number) => (performance.now() - t0) / 1000;

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(path.join(dir, f))).size;
  return total;
}

async function benchClip(label: string, file: string, work: string, presets: string[]) {
  let t0 = performance.now();
  const verdict = await validateVideo(file);
  line(`video validate ${label}: ${(secs(t0) * 1000).toFixed(0)} ms (ok=${verdict.ok})`);

  t0 = performance.now();
  const info = await probeVideo(file);
  const probeS = secs(t0);
  line(`video probe ${label} (${info.frameCount} frames ${info.width}x${info.height} ${info.codec}): ${(probeS * 1000).toFixed(0)} ms, ${(info.frameCount / probeS).toFixed(0)} frames/s`);

  const framesDir = path.join(work, `${label}-frames`);
  t0 = performance.now();
  const index = await extractFrames(file, framesDir, { info });
  const exS = secs(t0);
  const mb = (await dirBytes(framesDir)) / 1e6;
  line(`video extract ${label}: ${exS.toFixed(1)} s, ${(index.frameCount / exS).toFixed(1)} frames/s, JPGs ${mb.toFixed(0)} MB (${((mb * 1000) / index.frameCount).toFixed(0)} KB/frame)`);
  await rm(framesDir, { recursive: true, force: true });

  for (const preset of presets) {
    const out = path.join(work, `${label}-${preset}.mp4`);
    t0 = performance.now();
    await makePlayable(file, out, { info, preset });
    const trS = secs(t0);
    const size = (await stat(out)).size / 1e6;
    line(`video playable ${label} (x264 ${preset}): ${trS.toFixed(1)} s, ${(info.frameCount / trS).toFixed(1)} frames/s, ${size.toFixed(1)} MB`);
    await rm(out, { force: true });
  }
}

const work = await mkdtemp(path.join(os.tmpdir(), 'bench-video-'));
try {
  const presets = (process.env.BENCH_VIDEO_PRESETS ?? 'veryfast').split(',');
  await benchClip('two_people_jump.mp4', SAMPLE, work, presets);

  const seconds = Number(process.env.BENCH_VIDEO_SECONDS ?? 60);
  const t0 = performance.now();
  const big = await makeCfrClip(work, { name: 'gen-1080p.mp4', size: '1920x1080', fps: 30, seconds });
  line(`video generate 1080p ${seconds} s clip: ${secs(t0).toFixed(1)} s`);
  await benchClip(`1080p-${seconds}s`, big, work, ['veryfast']);
} finally {
  await rm(work, { recursive: true, force: true });
}
