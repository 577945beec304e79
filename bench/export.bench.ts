/**
 * Export: time and peak memory per format for a 1300-frame, two-athlete PHALP-like clip stored in
 * MongoDB, through lib/export exactly as the route runs it (the bytes are consumed, not kept).
 * Target (issue 10): JSON, CSV, BVH and GLB each under 1 s. GLB is measured without and with the SMPL
 * body model (a generated stand-in).
 * MP4 (format=mp4): the worker's render (lib/export/mp4.ts renderMp4Job: overlay script, ffmpeg with libass
 * and libx264) of the same clip over a generated 1920x1080 30 fps video with audio, in frames/s; target
 * faster than real time on 2 cores. The wall figure depends on what else runs on the machine, so the CPU
 * time of the render (this process and its ffmpeg) is printed too. Rendered twice: skeleton only, and with
 * the SMPL mesh silhouette (SMPL_MODEL_PATH = the generated stand-in model, which has the real model's
 * vertex and triangle counts, so the cost is the real one's).
 *
 *   npx tsx bench/export.bench.ts          (uses MONGODB_URI, else starts an embedded mongod)
 *   npx tsx bench/export.bench.ts --mp4    (the MP4 render only)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ObjectId } from 'mongodb';
import { closeDb, getDb } from '../lib/db';
import { exportClip, parseExportQuery } from '../lib/export';
import { renderKey, renderMp4Job, resultVersion } from '../lib/export/mp4';
import { openExportSource } from '../lib/export/source';
import { blobStore, clipKeys } from '../lib/storage';
import { ensureFrameIndexes, saveSequence } from '../lib/frames/repo';
import { syntheticSequence } from '../test/frames/synthetic-sequence';

const FRAMES = 1300;
const RUNS = 3;

async function mongo(): Promise<{ stop(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { stop: async () => {} };
  const { startEmbeddedMongo } = await import('../scripts/services/mongo');
  const dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  const server = await startEmbeddedMongo({ dbPath });
  process.env.MONGODB_URI = server.uri;
  return {
    async stop() {
      await server.stop();
      fs.rmSync(dbPath, { recursive: true, force: true });
    },
  };
}

async function measure(clipId: string, query: string, smplModelPath: string) {
  const base = process.memoryUsage();
  let peakHeap = 0;
  let peakRss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
    peakRss = Math.max(peakRss, m.rss - base.rss);
  };
  const timer = setInterval(sample, 2);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const file = await exportClip(clipId, parseExportQuery(new URLSearchParams(query)), { smplModelPath });
  let bytes = 0;
  for await (const chunk of file.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    sample();
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  sample();
  // CPU time of this process (MongoDB's share not included): what the export costs when the machine is busy
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes, peakHeap, peakRss, name: file.filename };
}

/** CPU seconds of this process and of its children that have ended (/proc/self/stat utime+stime+cutime+cstime). */
function cpuSecondsWithChildren(): number {
  const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** `clips`: the same motion stored twice, with the stress-case camera and with athletes of a usual size. */
async function benchMp4(clips: { id: string; label: string }[], frames: number, dir: string, smplModelPath: string) {
  const video = path.join(dir, 'bench-1080p.mp4');
  console.log(`mp4: making a ${frames}-frame 1920x1080 30 fps source with audio ...`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-frames:v', String(frames), '-t', String(frames / 30), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-g', '10', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart', '-y', video]);
  const angles = ['left_knee_flexion', 'right_knee_flexion'];
  const cores = os.cpus().length;
  let cpu = 0;
  for (const [n, { id: clipId, label }] of clips.entries()) {
    const finishedAt = new Date();
    await (await getDb()).collection('clips').updateOne({ _id: new ObjectId(clipId) }, { $set: { hasPlayableCopy: true, finishedAt } });
    await blobStore().putFile(clipKeys(clipId).playable, video, { contentType: 'video/mp4' });
    const src = await openExportSource(clipId, {});
    const version = resultVersion({ _id: new ObjectId(clipId), finishedAt });
    console.log(`  ${label}:`);
    // the skeleton alone once (the person's size does not change its cost much), the silhouette per clip
    for (const body of n === 0 ? [false, true] : [true]) {
      const cpu0 = cpuSecondsWithChildren();
      const t0 = performance.now();
      const { key } = renderKey(clipId, version, src, angles, body ? 'bench-model' : null);
      const r = await renderMp4Job({ clipId, version, key, options: { from: null, to: null, tracks: null, smooth: false, angles }, bodyModel: body }, { smplModelPath });
      const s = (performance.now() - t0) / 1000;
      const c = cpuSecondsWithChildren() - cpu0;
      if (!body) cpu = c;
      if (body && !r.silhouette) throw new Error('the silhouette was not drawn');
      const size = (await blobStore().stat(key))?.size ?? 0;
      const fps = r.frames / s;
      console.log(
        `mp4 1080p${body ? ' + mesh' : '       '} ${r.frames} frames in ${s.toFixed(1)} s = ${fps.toFixed(1)} frames/s wall (${fps >= 30 ? 'faster' : 'SLOWER'} than real time at 30 fps), ` +
          `cpu ${c.toFixed(1)} s = ${((c / r.frames) * 1000).toFixed(0)} ms/frame -> ${(r.frames / (c / cores)).toFixed(1)} frames/s on ${cores} idle cores; ${(size / 1048576).toFixed(1)} MB out` +
          `; overlay scripts (read + drawn, before ffmpeg starts) ${(r.scriptMs / 1000).toFixed(1)} s` +
          (body ? `; the silhouette adds ${(((c - cpu) / r.frames) * 1000).toFixed(0)} ms/frame of cpu` : ''),
      );
    }
  }
  // the same decode + H.264 encode without the overlay: what the overlay itself adds
  const b0 = cpuSecondsWithChildren();
  const t1 = performance.now();
  execFileSync('ffmpeg', ['-v', 'error', '-i', video, '-map', '0:v', '-map', '0:a', '-c:a', 'copy', '-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20',
    '-pix_fmt', 'yuv420p', '-profile:v', 'high', '-g', '10', '-movflags', '+faststart', '-y', path.join(dir, 'plain.mp4')]);
  const bs = (performance.now() - t1) / 1000;
  const bcpu = cpuSecondsWithChildren() - b0;
  console.log(
    `  same re-encode without overlay: ${(frames / bs).toFixed(1)} frames/s wall, cpu ${((bcpu / frames) * 1000).toFixed(0)} ms/frame -> overlay + timestamps add ${(((cpu - bcpu) / frames) * 1000).toFixed(0)} ms/frame of cpu`,
  );
}

async function main() {
  // the MP4 render's blobs and scratch go to a temp folder, not ./data
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-data-'));
  process.env.DATA_DIR ??= dataDir;
  const services = await mongo();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-smpl-'));
  execFileSync('/usr/bin/python3', [path.resolve(import.meta.dirname, '../scripts/fixtures/make_smpl_standin.py'), tmp], { stdio: 'ignore' });
  try {
    const db = await getDb();
    await ensureFrameIndexes(db);
    const seq = syntheticSequence({ frames: FRAMES, tracks: 2 });
    const id = new ObjectId();
    await db.collection('clips').insertOne({ _id: id, filename: 'bench.mp4', status: 'done', createdAt: new Date() });
    await saveSequence(id.toHexString(), seq, { db });
    // the same motion filmed from farther away: athletes about 650 px tall, all on the picture (MP4 only)
    const usual = new ObjectId();
    await db.collection('clips').insertOne({ _id: usual, filename: 'bench.mp4', status: 'done', createdAt: new Date() });
    await saveSequence(usual.toHexString(), syntheticSequence({ frames: FRAMES, tracks: 2, cameraDepth: 100 }), { db });
    const personFrames = seq.frames.reduce((n, f) => n + f.persons.length, 0);
    console.log(`clip: ${FRAMES} frames, 2 athletes, ${personFrames} person-frames (best of ${RUNS} runs; peak = above the level before the export)`);
    console.log(`load average now: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores (wall times grow with it)`);
    const cases: [string, string, string][] = [
      ['json', 'format=json', '/nonexistent'],
      ['csv', 'format=csv', '/nonexistent'],
      ['bvh (zip of 2)', 'format=bvh', '/nonexistent'],
      ['glb skeletons', 'format=glb', '/nonexistent'],
      ['glb + SMPL mesh', 'format=glb', path.join(tmp, 'SMPL_NEUTRAL.pkl')],
      ['json smooth=1', 'format=json&smooth=1', '/nonexistent'],
    ];
    for (const [label, query, model] of process.argv.includes('--mp4') ? [] : cases) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(id.toHexString(), query, model));
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
      console.log(
        `${label.padEnd(16)} ${best.ms.toFixed(0).padStart(5)} ms (cpu ${Math.min(...runs.map((r) => r.cpuMs)).toFixed(0).padStart(5)} ms)  ${mb(best.bytes).padStart(9)} out  peak heap+buffers +${mb(Math.max(...runs.map((r) => r.peakHeap)))}, rss +${mb(Math.max(...runs.map((r) => r.peakRss)))}  ${best.ms < 1000 ? 'under 1 s' : 'OVER 1 s'}`,
      );
    }
    await benchMp4(
      [
        { id: id.toHexString(), label: 'stress case: athletes about 1,800 px tall, partly off the picture' },
        { id: usual.toHexString(), label: 'usual size: athletes about 650 px tall, on the picture' },
      ],
      FRAMES,
      tmp,
      path.join(tmp, 'SMPL_NEUTRAL.pkl'),
    );
  } finally {
    await closeDb();
    await services.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
