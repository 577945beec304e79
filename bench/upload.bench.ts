/**
 * Upload throughput and the web server's peak memory for a 1 GiB upload (issue 2), through the REAL
 * Next.js server: POST /api/clips with a streamed multipart body (the sample video followed by 1 GiB of
 * filler, which ffprobe ignores, so the upload is accepted as a clip), and the same bytes to a bare Node
 * HTTP server that only hashes and writes them (bench/upload-throughput.ts): the app/bare ratio.
 *
 * Needs a running app: BENCH_APP_URL (e.g. http://127.0.0.1:3000). `npm run bench` starts one. Signs in
 * (or signs up on a fresh app) as in bench/app-session.ts.
 * Peak memory is the high-water mark (VmHWM) of the web server's processes, read from /proc, compared
 * with their resident size before the upload.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchSession } from './app-session';
import { postLargeUpload, startBareUploadServer } from './upload-throughput';

const line = (s: string) => process.stdout.write(`${s}\n`);
const base = process.env.BENCH_APP_URL;
const fillerMiB = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);

/** The processes of the Next.js server listening on the app's port, and their children. */
function serverPids(port: string): number[] {
  const listening = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString();
  const roots = [...new Set([...listening.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  const all = new Set(roots);
  const queue = [...roots];
  while (queue.length) {
    const pid = queue.pop()!;
    let kids: number[] = [];
    try {
      kids = execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
    } catch {
      /* no children */
    }
    for (const k of kids) if (!all.has(k)) (all.add(k), queue.push(k));
  }
  return [...all];
}

function memKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function main() {
  if (!base) {
    line('upload bench: skipped (set BENCH_APP_URL to a running app; `npm run bench` starts one)');
    return;
  }
  const session = await benchSession(base);
  const port = new URL(base).port || '80';
  const pids = serverPids(port);
  if (!pids.length) throw new Error(`no process listens on port ${port}`);
  const rssBefore = pids.reduce((n, p) => n + memKb(p, 'VmRSS'), 0);
  const hwmBefore = pids.reduce((n, p) => n + memKb(p, 'VmHWM'), 0);

  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, pids.reduce((n, p) => n + memKb(p, 'VmRSS'), 0));
  }, 50);
  const app = await postLargeUpload(`${base}/api/clips`, session.headers, fillerMiB);
  clearInterval(sampler);
  const { status, answer, seconds } = app;
  const hwmAfter = pids.reduce((n, p) => n + memKb(p, 'VmHWM'), 0);
  const mib = app.bytes / 1024 / 1024;
  line(`upload ${mib.toFixed(0)} MiB through the web server: HTTP ${status} in ${seconds.toFixed(1)} s = ${(mib / seconds).toFixed(0)} MiB/s (includes sha256, disk write, ffprobe checks)`);
  line(`upload web server memory: RSS ${(rssBefore / 1024).toFixed(0)} MiB before, peak sampled RSS ${(peakRss / 1024).toFixed(0)} MiB during (+${((peakRss - rssBefore) / 1024).toFixed(0)} MiB); VmHWM ${(hwmBefore / 1024).toFixed(0)} -> ${(hwmAfter / 1024).toFixed(0)} MiB`);
  // the same bytes to a bare Node server that only hashes and writes them (its own process, same disk)
  const bareDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-bare-upload-'));
  const bare = await startBareUploadServer(bareDir);
  try {
    const b = await postLargeUpload(bare.url, {}, fillerMiB);
    if (b.status !== 201) throw new Error(`bare server answered ${b.status}: ${b.answer.slice(0, 200)}`);
    line(`upload ${mib.toFixed(0)} MiB to a bare Node server (sha256 + disk write only): ${b.seconds.toFixed(1)} s = ${b.mibPerSecond.toFixed(0)} MiB/s; app/bare throughput ratio ${(app.mibPerSecond / b.mibPerSecond).toFixed(2)} (target >= 0.9)`);
  } finally {
    await bare.stop();
    fs.rmSync(bareDir, { recursive: true, force: true });
  }
  if (status !== 201) line(`upload answer: ${answer.slice(0, 300)}`);
  else {
    // remove the bench clip again
    const { id } = JSON.parse(answer);
    await fetch(`${base}/api/clips/${id}`, { method: 'DELETE', headers: session.headers });
  }
}

main().catch((err) => {
  process.stderr.write(`upload bench failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
