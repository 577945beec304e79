/**
 * `npm run bench`: every benchmark, one after the other, printing figures (not pass/fail).
 *
 * 1. The library benchmarks (bench/*.bench.ts that need no app): PHALP read vs Python, SMPL forward pass,
 *    ingest and stored bytes, video extraction/transcoding, the CPU runner, the coaching analysis
 *    (analysis: jitter raw vs smoothed, angle/smoothing cost, whole-clip analysis time), results while
 *    tracking runs (streaming: upload to first playable frame and to done, CPU runner and the PHALP double
 *    at 2 frames/s; it starts its own MongoDB, Redis and worker).
 * 2. A real app (scripts/start.ts, embedded MongoDB/Redis in a temp DATA_DIR; PHALP played by its TEST
 *    DOUBLE and a generated stand-in body model, so the mesh path is measured) with the sample clip
 *    processed, for the benchmarks that need one: the player in Chromium and the 1 GiB upload.
 * 3. bench/load.bench.ts starts its own app (web server and worker as separate processes, like the
 *    several-web-apps test): 50 concurrent players, 20 uploads, the 1 GiB upload vs a bare Node server.
 *    BENCH_LOAD_SECONDS / BENCH_POSES_SECONDS / BENCH_UPLOAD_MIB shorten it.
 * BENCH_ONLY=name,name runs a subset (names without .bench.ts), e.g. BENCH_ONLY=load.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../scripts/services/free-port';
import { benchSession } from './app-session';

const root = path.resolve(import.meta.dirname, '..');
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const APP_BENCHES = ['player', 'upload'];
const say = (s: string) => process.stdout.write(`\n=== ${s}\n`);

function runBench(name: string, env: Record<string, string> = {}): Promise<void> {
  say(`bench/${name}.bench.ts`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', `${name}.bench.ts`)], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: 'inherit',
    });
    child.on('exit', (code) => {
      if (code) process.stdout.write(`(bench/${name} exited with ${code})\n`);
      resolve();
    });
  });
}

async function withApp(fn: (url: string) => Promise<void>) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-bench-'));
  execFileSync('/usr/bin/python3', [path.join(root, 'scripts/fixtures/make_smpl_standin.py'), path.join(tmp, 'smpl')], { stdio: 'ignore' });
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  say(`starting an app on ${url} (PHALP test double, stand-in body model)`);
  const app = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/start.ts')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: path.join(tmp, 'data'),
      POSE_RUNNER: 'phalp',
      PHALP_DIR: path.join(root, 'test/fixtures/phalp-double'),
      PHALP_PYTHON: '/usr/bin/python3',
      PHALP_DOUBLE_PEOPLE: '2',
      PHALP_DOUBLE_FPS: '200',
      SMPL_MODEL_PATH: path.join(tmp, 'smpl', 'SMPL_NEUTRAL.pkl'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((r) => app.once('exit', () => r()));
  try {
    const until = Date.now() + 600_000;
    while (!(await fetch(`${url}/api/health`).then((r) => r.ok).catch(() => false))) {
      if (Date.now() > until || app.exitCode !== null) throw new Error('the app did not start');
      await new Promise((r) => setTimeout(r, 500));
    }
    // the app has accounts: the bench account signs up (fresh app) and uploads the sample clip
    const { headers } = await benchSession(url);
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(path.join(root, '../shared/samples/video/two_people_jump.mp4'))]), 'two_people_jump.mp4');
    const up = await fetch(`${url}/api/clips`, { method: 'POST', body: form, headers });
    if (up.status !== 201) throw new Error(`bench clip upload answered ${up.status}: ${await up.text()}`);
    const { id } = (await up.json()) as { id: string };
    for (;;) {
      const clip = (await (await fetch(`${url}/api/clips/${id}`, { headers })).json()) as { status: string; error?: string };
      if (clip.status === 'done') break;
      if (clip.status === 'failed') throw new Error(`bench clip failed: ${clip.error}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await fn(url);
  } finally {
    app.kill('SIGTERM');
    await exited;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const all = fs
    .readdirSync(path.join(root, 'bench'))
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .filter((n) => !only || only.includes(n));
  for (const name of all.filter((n) => !APP_BENCHES.includes(n))) await runBench(name);
  const appBenches = all.filter((n) => APP_BENCHES.includes(n));
  if (appBenches.length) {
    await withApp(async (url) => {
      for (const name of appBenches) await runBench(name, { BENCH_APP_URL: url });
    });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
