import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../lib/config';
import { LineSplitter, type OutputLine } from './output';
import { startProcessTree, type ProcessTree, type TreeExit } from './process-tree';

/**
 * The worker's side of the warm PHALP service (service.py, whose docstring documents the line protocol):
 * one long-lived Python process per PHALP worker that builds 4D-Humans' tracker once and runs jobs one
 * after another. Its stdout/stderr are PHALP's console, read with the same parser as a spawned
 * track.py; its events arrive on file descriptor 3.
 *
 * Failure handling: a service that exits, or stays silent past `stallMs` in a job, is killed (its whole
 * process group) and started again for the next job; the runner retries that job once. Cancel sends
 * SIGINT (the job ends, the models stay loaded); a service that does not answer within
 * `cancelGraceMs` is killed.
 */
export const SERVICE_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'service.py');

/** service.py prints this on stdout and stderr when a job ends (before its event): the job's output is complete. */
const END_MARK = '[phalp-service] end of job ';

export type ServiceEvent =
  | { event: 'loading'; pid: number }
  | { event: 'ready'; load_seconds: number }
  | { event: 'fatal'; message: string }
  | { event: 'start'; job: string }
  /** frames first..last (inclusive) are final; `pkl` holds their records (results while tracking runs) */
  | { event: 'frames'; job: string; first: number; last: number; pkl: string }
  | { event: 'done'; job: string; pkl: string; seconds: number }
  | { event: 'failed'; job: string; message: string }
  | { event: 'canceled'; job: string };

export type JobOutcome =
  | { kind: 'done'; pkl: string }
  | { kind: 'failed'; message: string }
  | { kind: 'canceled' }
  | { kind: 'crashed'; exit: TreeExit }
  | { kind: 'stalled'; silentMs: number }
  | { kind: 'timeout' };

/** The service could not build its tracker: `text` is what it printed (for classifying the failure). */
export class ServiceStartError extends Error {
  constructor(
    message: string,
    readonly text: string,
    readonly lines: OutputLine[],
  ) {
    super(message);
    this.name = 'ServiceStartError';
  }
}

export interface ServiceOptions {
  /** the same Hydra overrides a spawned track.py gets, without the script name */
  overrides: string[];
  env: Record<string, string>;
  killGraceMs: number;
  cancelGraceMs: number;
  stallMs: number;
  readyTimeoutMs: number;
}

export interface ServiceStats {
  modelsLoaded: boolean;
  modelLoadSeconds: number | null;
  /** how often models were loaded since the worker started (1 for a service that stayed up) */
  modelLoads: number;
  restarts: number;
  busy: boolean;
}

export class PhalpService {
  private tree: ProcessTree | null = null;
  private ready: Promise<void> | null = null;
  private listeners = new Set<(e: ServiceEvent) => void>();
  private lineSink: ((line: OutputLine) => void) | null = null;
  private lastOutput = Date.now();
  /** jobs whose end mark arrived, and on how many of stdout/stderr */
  private endMarks = new Map<string, number>();
  private exitedWith: TreeExit | null = null;
  /** per process: who waits for THAT process to exit (a killed service's exit must not fail its successor) */
  private exitWaiters = new WeakMap<ProcessTree, Set<(e: TreeExit) => void>>();
  private starts = 0;
  readonly stats: ServiceStats = { modelsLoaded: false, modelLoadSeconds: null, modelLoads: 0, restarts: 0, busy: false };

  constructor(
    private readonly config: Pick<Config, 'phalpDir' | 'phalpPython'>,
    private readonly opts: ServiceOptions,
  ) {}

  /** Starts the service if it is not running; resolves once its models are loaded. */
  ensureReady(onLine?: (line: OutputLine) => void): Promise<void> {
    if (onLine) this.lineSink = onLine;
    this.ready ??= this.start();
    return this.ready;
  }

  private emit(e: ServiceEvent) {
    this.lastOutput = Date.now();
    for (const l of [...this.listeners]) l(e);
  }

  private start(): Promise<void> {
    if (this.starts++ > 0) this.stats.restarts++;
    this.exitedWith = null;
    const splitters = { out: new LineSplitter(), err: new LineSplitter() };
    const startupLines: OutputLine[] = [];
    const onLine = (line: OutputLine) => {
      if (line.line.startsWith(END_MARK)) {
        const job = line.line.slice(END_MARK.length).trim();
        this.endMarks.set(job, (this.endMarks.get(job) ?? 0) + 1);
        return;
      }
      if (line.kind !== 'progress') this.lastOutput = Date.now();
      if (!this.stats.busy && startupLines.length < 2000) startupLines.push(line);
      this.lineSink?.(line);
    };
    const tree = startProcessTree(this.config.phalpPython, [SERVICE_SCRIPT, ...this.opts.overrides], {
      cwd: this.config.phalpDir!,
      env: this.opts.env,
      service: true,
      onStdout: (t) => splitters.out.push(t).forEach(onLine),
      onStderr: (t) => splitters.err.push(t).forEach(onLine),
    });
    this.tree = tree;
    const waiters = new Set<(e: TreeExit) => void>();
    this.exitWaiters.set(tree, waiters);
    if (tree.fd3) {
      createInterface({ input: tree.fd3 }).on('line', (raw) => {
        try {
          this.emit(JSON.parse(raw) as ServiceEvent);
        } catch {
          /* not an event */
        }
      });
    }
    tree.stdin?.on('error', () => {}); // writing to a service that just died
    void tree.exited.then((exit) => {
      [...splitters.out.flush(), ...splitters.err.flush()].forEach(onLine);
      if (this.tree === tree) {
        this.tree = null;
        this.ready = null;
        this.stats.modelsLoaded = false;
      }
      this.exitedWith = exit;
      for (const w of [...waiters]) w(exit);
    });

    return new Promise<void>((resolve, reject) => {
      const text = () => startupLines.filter((l) => l.kind !== 'progress').map((l) => l.line).join('\n');
      const fail = (message: string) => {
        cleanup();
        this.kill();
        reject(new ServiceStartError(message, text(), startupLines));
      };
      const timer = setTimeout(() => fail(`the PHALP service did not load its models within ${Math.round(this.opts.readyTimeoutMs / 1000)} s`), this.opts.readyTimeoutMs);
      const onEvent = (e: ServiceEvent) => {
        if (e.event === 'ready') {
          cleanup();
          this.stats.modelsLoaded = true;
          this.stats.modelLoadSeconds = e.load_seconds;
          this.stats.modelLoads++;
          resolve();
        } else if (e.event === 'fatal') fail(`the PHALP service could not load its models: ${e.message}`);
      };
      const onExit = (exit: TreeExit) =>
        fail(
          exit.spawnError
            ? `PHALP_PYTHON=${this.config.phalpPython} could not be started (${exit.spawnError})`
            : `the PHALP service exited while loading (${exit.signal ?? `exit code ${exit.exitCode}`})`,
        );
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(onEvent);
        waiters.delete(onExit);
      };
      this.listeners.add(onEvent);
      waiters.add(onExit);
    }).catch((err) => {
      this.ready = null;
      throw err;
    });
  }

  /** Runs one job on the ready service; `onLine` receives PHALP's console lines of this job. */
  async run(
    job: { id: string; source: string; outputDir: string },
    ctx: { onLine(line: OutputLine): void; signal: AbortSignal; timeoutMs: number; onFrames?(e: { first: number; last: number; pkl: string }): void },
  ): Promise<JobOutcome> {
    await this.ensureReady(ctx.onLine);
    const tree = this.tree;
    if (!tree || !tree.stdin) return { kind: 'crashed', exit: this.exitedWith ?? { exitCode: null, signal: null, spawnError: 'not running' } };
    this.lineSink = ctx.onLine;
    this.stats.busy = true;
    const waiters = this.exitWaiters.get(tree)!;
    this.lastOutput = Date.now();
    try {
      const outcome = await new Promise<JobOutcome>((resolve) => {
        let canceling = false;
        const finish = (o: JobOutcome) => {
          clearTimeout(timer);
          clearTimeout(cancelTimer);
          clearInterval(watchdog);
          this.listeners.delete(onEvent);
          waiters.delete(onExit);
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(o);
        };
        const onEvent = (e: ServiceEvent) => {
          if (!('job' in e) || e.job !== job.id) return;
          if (e.event === 'frames') ctx.onFrames?.(e);
          else if (e.event === 'done') finish(canceling ? { kind: 'canceled' } : { kind: 'done', pkl: e.pkl });
          else if (e.event === 'failed') finish(canceling ? { kind: 'canceled' } : { kind: 'failed', message: e.message });
          else if (e.event === 'canceled') finish({ kind: 'canceled' });
        };
        const onExit = (exit: TreeExit) => finish(canceling ? { kind: 'canceled' } : { kind: 'crashed', exit });
        const timer = setTimeout(() => {
          this.kill();
          finish({ kind: 'timeout' });
        }, ctx.timeoutMs);
        let cancelTimer: NodeJS.Timeout | undefined;
        const onAbort = () => {
          if (canceling) return;
          canceling = true;
          try {
            if (tree.pid) process.kill(tree.pid, 'SIGINT'); // KeyboardInterrupt in track(); the models stay
          } catch {
            /* already gone */
          }
          cancelTimer = setTimeout(() => {
            this.kill(); // did not stop in time: the next job starts a fresh service
            finish({ kind: 'canceled' });
          }, this.opts.cancelGraceMs);
        };
        const watchdog = setInterval(() => {
          const silent = Date.now() - this.lastOutput;
          if (!canceling && silent > this.opts.stallMs) {
            this.kill();
            finish({ kind: 'stalled', silentMs: silent });
          }
        }, Math.min(1000, Math.max(50, this.opts.stallMs / 4)));
        this.listeners.add(onEvent);
        waiters.add(onExit);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        tree.stdin!.write(JSON.stringify({ cmd: 'run', job: job.id, source: job.source, output_dir: job.outputDir }) + '\n');
        if (ctx.signal.aborted) onAbort();
      });
      // events (fd 3) and console (stdout/stderr) are separate pipes: the job's last lines (its traceback)
      // are in once the end mark arrived on both
      if (outcome.kind === 'done' || outcome.kind === 'failed' || outcome.kind === 'canceled') {
        const until = Date.now() + 2000;
        while (Date.now() < until && (this.endMarks.get(job.id) ?? 0) < 2 && this.tree === tree) await new Promise((r) => setTimeout(r, 20));
      }
      this.endMarks.delete(job.id);
      return outcome;
    } finally {
      this.stats.busy = false;
      this.lineSink = null;
    }
  }

  /** Notes progress: a redraw whose percent changed counts as output for the stall watchdog. */
  sawProgress(): void {
    this.lastOutput = Date.now();
  }

  /** Kills the service's whole process group (SIGTERM, SIGKILL after the grace period). */
  kill(): void {
    const tree = this.tree;
    this.tree = null;
    this.ready = null;
    this.stats.modelsLoaded = false;
    tree?.terminate(this.opts.killGraceMs);
  }

  /** Asks the service to quit (EOF on stdin), then kills it if it is still there. */
  async close(): Promise<void> {
    const tree = this.tree;
    if (!tree) return;
    tree.stdin?.end();
    const gone = await Promise.race([tree.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
    if (!gone) this.kill();
    else if (this.tree === tree) this.tree = null;
    await tree.exited;
  }
}
