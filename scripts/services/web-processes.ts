import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The web app's production build and its processes, for `npm start`, the several-web-apps test
 * (test/scale/) and the load benchmark (bench/load.bench.ts): the build's staleness check, a build,
 * and web server (`scripts/web-server.mjs`) / worker (`worker/main.ts`) child processes with their output kept for error messages.
 */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const NEXT_BIN = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
export const WEB_SERVER = path.join(ROOT, 'scripts', 'web-server.mjs');

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(tsx?|mjs|css|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when .next is missing or older than any source the build reads. */
export function buildIsStale(root = ROOT): boolean {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  const sources = Math.max(
    ...['app', 'components', 'lib', 'public'].map((d) => newestMtime(path.join(root, d))),
    ...['next.config.mjs', 'proxy.ts', 'package.json', 'tsconfig.json'].map((f) => (fs.existsSync(path.join(root, f)) ? fs.statSync(path.join(root, f)).mtimeMs : 0)),
  );
  return sources > built;
}

/** Runs `next build` when the build is stale (output kept and shown only on failure). Returns whether it built. */
export function ensureWebBuild(log: (s: string) => void = () => {}): boolean {
  if (!buildIsStale()) return false;
  log('building the web app (next build): the build is missing or older than the sources ...');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [NEXT_BIN, 'build'], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`next build failed (exit ${r.status}):\n${`${r.stdout}\n${r.stderr}`.slice(-4000)}`);
  log(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return true;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited(): boolean;
  /** Signals the process and waits for it to exit (SIGKILL after `hardMs`). */
  stop(signal?: NodeJS.Signals, hardMs?: number): Promise<void>;
}

/**
 * A child's stdout and stderr as one text of whole lines: each stream's lines are joined only once they
 * are complete (a read of a busy pipe can end mid-line, and the other stream's lines must not land inside
 * it: a log line cut so is no longer JSON). Past `maxChars` the older half goes, cut at a line start.
 */
export function collectOutput(child: ChildProcess, onData?: (d: string) => void, maxChars = 2_000_000): () => string {
  let out = '';
  const partial = { stdout: '', stderr: '' };
  const keep = (stream: 'stdout' | 'stderr') => (d: string) => {
    const text = partial[stream] + d;
    const end = text.lastIndexOf('\n');
    if (end === -1) partial[stream] = text;
    else {
      out += text.slice(0, end + 1);
      partial[stream] = text.slice(end + 1);
      if (out.length > maxChars) out = out.slice(out.indexOf('\n', out.length - maxChars / 2) + 1);
    }
    onData?.(d);
  };
  child.stdout?.setEncoding('utf8').on('data', keep('stdout'));
  child.stderr?.setEncoding('utf8').on('data', keep('stderr'));
  // lines not ended yet come last, each on its own line
  return () => out + [partial.stdout, partial.stderr].filter(Boolean).map((l) => `${l}\n`).join('');
}

function manage(name: string, child: ChildProcess, echo: boolean): ManagedProcess {
  const output = collectOutput(child, echo ? (d) => process.stdout.write(d) : undefined);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    pid: child.pid!,
    output,
    exited: gone,
    stop: (signal = 'SIGTERM', hardMs = 30_000) =>
      new Promise<void>((resolve) => {
        if (gone()) return resolve();
        const hard = setTimeout(() => child.kill('SIGKILL'), hardMs);
        child.once('exit', () => (clearTimeout(hard), resolve()));
        child.kill(signal);
      }),
  };
}

/** The production web server (scripts/web-server.mjs, Next.js behind it) on `port`; env needs at least MONGODB_URI, REDIS_URL, DATA_DIR. */
export function startWebApp(name: string, port: number, env: Record<string, string>, opts: { echo?: boolean } = {}): ManagedProcess {
  const child = spawn(process.execPath, [WEB_SERVER, '-p', String(port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', MC_PROCESS_NAME: name, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return manage(name, child, Boolean(opts.echo));
}

/** A worker process (`tsx worker/main.ts`, what `npm start` and `npm run worker` run). */
export function startWorkerProcess(name: string, env: Record<string, string>, opts: { echo?: boolean } = {}): ManagedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, MC_PROCESS_NAME: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return manage(name, child, Boolean(opts.echo));
}

/** Waits until GET url/api/health answers (any status below 500, or 503 while a service is down). */
export async function waitForWebApp(app: ManagedProcess, url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/health`).catch(() => null);
    if (res && (res.status < 500 || res.status === 503)) return;
    if (app.exited()) throw new Error(`${app.name} exited before answering:\n${app.output().slice(-3000)}`);
    if (Date.now() > until) throw new Error(`${app.name} did not answer at ${url} within ${timeoutMs} ms:\n${app.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Waits for the worker's "worker.ready" log line. */
export async function waitForWorkerProcess(w: ManagedProcess, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!w.output().includes('"worker.ready"')) {
    if (w.exited()) throw new Error(`${w.name} exited early:\n${w.output().slice(-3000)}`);
    if (Date.now() > until) throw new Error(`${w.name} not ready after ${timeoutMs} ms:\n${w.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resident memory of a process and its descendants, in KiB, from /proc (0 once gone). */
export function treeRssKb(pid: number): number {
  let total = 0;
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      total += m ? Number(m[1]) : 0;
      for (const t of fs.readdirSync(`/proc/${p}/task`)) {
        const kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) queue.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      /* gone */
    }
  }
  return total;
}
