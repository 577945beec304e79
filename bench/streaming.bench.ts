/**
 * Results while tracking runs: time from upload to the first playable frame, and to done, for the
 * sample clip (../shared/samples/video/two_people_jump.mp4, 230 frames, VP9 1768x994) with
 *   - the built-in CPU runner (target: first frame within 3 s), and
 *   - PHALP played by its TEST DOUBLE at a realistic 2 frames/s (PHALP_DOUBLE_FPS=2; a real PHALP does
 *     about 1.8 frames/s on an RTX 4090), warm service, models already loaded.
 *
 * What runs: embedded MongoDB and Redis, a real worker process (worker/main.ts), the upload through
 * lib/clips/service acceptUpload (what POST /api/clips runs, streamed from the file), the clip's live
 * events through lib/clips/events (what GET /api/clips/:id/events streams). "First playable frame" =
 * the moment the first `frames` event says frames are final AND the poses payload a page loads then
 * (lib/clips/poses-blob partialPoses) holds frame 0's result; the video is playable by then in a browser
 * that plays the upload's codec (the sample is VP9 in MP4: Chromium does; the page checks canPlayType),
 * while the H.264 copy is made next to tracking. The browser's own time to draw it is not included.
 * The worker is started and warm (its CPU threads have loaded their models) before the upload.
 *
 *   npx tsx bench/streaming.bench.ts      (BENCH_STREAMING=cpu or phalp for one of them)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(import.meta.dirname, '..');
const SAMPLE = path.resolve(root, '..', 'shared', 'samples', 'video', 'two_people_jump.mp4');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-streaming-'));
const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

interface Scenario {
  name: string;
  env: Record<string, string>;
}
const SCENARIOS: Scenario[] = [
  { name: 'cpu', env: { POSE_RUNNER: 'cpu' } },
  {
    name: 'phalp',
    env: {
      POSE_RUNNER: 'phalp',
      PHALP_MODE: 'service',
      PHALP_DIR: path.join(root, 'test/fixtures/phalp-double'),
      PHALP_PYTHON: '/usr/bin/python3',
      PHALP_DOUBLE_PEOPLE: '2',
      PHALP_DOUBLE_FPS: '2',
      POSE_TIMEOUT_MS: '600000',
    },
  },
];

function startWorker(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker', 'main.ts')], {
    cwd: root,
    env: { ...process.env, MC_PROCESS_NAME: 'worker', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function waitFor(cond: () => boolean, ms: number, what: string) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const { startEmbeddedMongo } = await import('../scripts/services/mongo');
  const { startEmbeddedRedis } = await import('../scripts/services/redis');
  const mongo = process.env.MONGODB_URI ? null : await startEmbeddedMongo({ dbPath: path.join(tmp, 'db') });
  const redis = process.env.REDIS_URL ? null : await startEmbeddedRedis({ dir: path.join(tmp, 'redis') });
  process.env.MONGODB_URI ??= mongo!.uri;
  process.env.REDIS_URL ??= redis!.url;
  process.env.DATA_DIR = path.join(tmp, 'data');
  process.env.LOG_LEVEL = 'warn';
  // lib/ reads its configuration on first use: imported after the environment is set
  const { acceptUpload } = await import('../lib/clips/service');
  const { clipEventStream } = await import('../lib/clips/events');
  const { getClipDoc } = await import('../lib/clips/repo');
  const { partialPoses } = await import('../lib/clips/poses-blob');
  const { decodePoseSequence } = await import('../lib/pose/compact');
  const { ensureClipIndexes } = await import('../lib/clips/repo');
  const { ensureFrameIndexes } = await import('../lib/frames/repo');
  const { closeDb } = await import('../lib/db');
  const { closeQueue } = await import('../lib/queue');
  const { closeSharedRedis } = await import('../lib/redis');
  const { multipartRequest, fileChunks } = await import('../test/foundation/helpers');
  await ensureClipIndexes();
  await ensureFrameIndexes();
  const actor = { kind: 'user' as const, userId: 'bench-streaming', email: 'bench@bench.example.com', name: 'Bench', role: 'admin' as const, via: 'session' as const };

  const only = process.env.BENCH_STREAMING;
  const rows: string[] = [];
  for (const sc of SCENARIOS.filter((x) => !only || x.name === only)) {
    const worker = startWorker({ ...sc.env, DATA_DIR: process.env.DATA_DIR!, MONGODB_URI: process.env.MONGODB_URI!, REDIS_URL: process.env.REDIS_URL! });
    try {
      await waitFor(() => worker.output().includes('"worker.ready"') || worker.child.exitCode !== null, 120_000, 'worker ready');
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output().slice(-2000)}`);
      // the sample with unique bytes: never taken for an earlier upload of the same content
      const file = path.join(tmp, `sample-${crypto.randomUUID()}.mp4`);
      execFileSync('ffmpeg', ['-v', 'error', '-i', SAMPLE, '-map', '0', '-c', 'copy', '-metadata', `comment=${crypto.randomUUID()}`, file]);

      const t0 = performance.now();
      const clip = await acceptUpload(actor, multipartRequest({ name: 'two_people_jump.mp4', chunks: fileChunks(file) }));
      const uploaded = performance.now() - t0;
      let firstEvent: number | null = null;
      let firstPlayable: number | null = null;
      let firstCount = 0;
      let done: number | null = null;
      let events = 0;
      const trace: string[] = [];
      const abort = new AbortController();
      const reader = clipEventStream(actor, clip.id, abort.signal).getReader();
      const dec = new TextDecoder();
      let text = '';
      let checking: Promise<void> | null = null;
      const timeout = setTimeout(() => abort.abort(), 900_000);
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        text += dec.decode(value, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (!block.startsWith('event: frames')) continue;
          const e = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { status: string; final_frames: number };
          events++;
          if (trace.length < 8) trace.push(`${e.final_frames}@${((performance.now() - t0) / 1000).toFixed(1)}s`);
          if (e.final_frames > 0 && firstEvent === null) {
            firstEvent = performance.now() - t0;
            firstCount = e.final_frames;
            // what the page loads when it opens the player: frame 0's result must be in it
            checking ??= (async () => {
              const doc = await getClipDoc(clip.id);
              if (doc?.status !== 'processing') return; // done already: the whole result is there
              const partial = await partialPoses(doc);
              if (partial && decodePoseSequence(partial.body).frames[0]) firstPlayable = performance.now() - t0;
            })();
          }
          if (e.status === 'done') done = performance.now() - t0;
        }
      }
      clearTimeout(timeout);
      await checking;
      const doc = await getClipDoc(clip.id);
      if (doc?.status !== 'done') throw new Error(`clip ended ${doc?.status}: ${doc?.error}\n${worker.output().slice(-2000)}`);
      firstPlayable ??= done;
      const st = doc.stats?.stageSeconds ?? {};
      const stages = ['probing', 'extracting', 'transcoding', 'tracking', 'ingesting'].map((k) => `${k} ${(st[k] ?? 0).toFixed(2)}`).join(', ');
      rows.push(
        `${sc.name.padEnd(6)} upload ${s(uploaded)} | first frames event ${s(firstEvent)} (${firstCount} final) | first playable frame ${s(firstPlayable)} (${s(firstPlayable === null ? null : firstPlayable - uploaded)} after the upload was accepted) | done ${s(done)} | ${events} frames events | stages (s): ${stages}`,
      );
      console.log(rows.at(-1));
      console.log(`  first frames events (final frames @ time): ${trace.join(' ')}`);
    } finally {
      worker.child.kill('SIGTERM');
      await new Promise((r) => worker.child.once('exit', r));
      // BENCH_WORKER_LOG=<file>: the worker's own log, to see where the time went
      if (process.env.BENCH_WORKER_LOG) fs.writeFileSync(`${process.env.BENCH_WORKER_LOG}.${sc.name}`, worker.output());
    }
  }
  console.log('\nresults while tracking runs, sample clip (230 frames), from the start of the upload:');
  for (const r of rows) console.log(`  ${r}`);
  console.log('  target: first playable frame within 3 s on the CPU runner');
  console.log(`  load average now (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')} on ${os.availableParallelism()} cores`);
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await redis?.stop();
  await mongo?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
