/**
 * Export: time and peak memory per format for a 1300-frame, two-athlete PHALP-like clip stored in
 * MongoDB, through lib/export exactly as the route runs it (the bytes are consumed, not kept).
 * Target (issue 10): JSON, CSV, BVH and GLB each under 1 s. GLB is measured without and with the SMPL
 * body model (a generated stand-in).
 *
 *   npx tsx bench/export.bench.ts          (uses MONGODB_URI, else starts an embedded mongod)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ObjectId } from 'mongodb';
import { closeDb, getDb } from '../lib/db';
import { exportClip, parseExportQuery } from '../lib/export';
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

async function main() {
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
    for (const [label, query, model] of cases) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(id.toHexString(), query, model));
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
      console.log(
        `${label.padEnd(16)} ${best.ms.toFixed(0).padStart(5)} ms (cpu ${Math.min(...runs.map((r) => r.cpuMs)).toFixed(0).padStart(5)} ms)  ${mb(best.bytes).padStart(9)} out  peak heap+buffers +${mb(Math.max(...runs.map((r) => r.peakHeap)))}, rss +${mb(Math.max(...runs.map((r) => r.peakRss)))}  ${best.ms < 1000 ? 'under 1 s' : 'OVER 1 s'}`,
      );
    }
  } finally {
    await closeDb();
    await services.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
