import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../../lib/config';
import { readPhalpResults } from '../../../lib/phalp';
import type { PoseSequence } from '../../../lib/pose/types';
import { RunnerError, type PoseRunner, type PreparedClip, type RunContext } from '../types';
import { detectPhalp, type PhalpDetection } from './detect';
import { classifyFailure, failed } from './failures';
import { LineSplitter, LogTail, type OutputLine } from './output';
import { startProcessTree } from './process-tree';
import { PhalpService, ServiceStartError, type JobOutcome } from './service';
import { plainPaths } from './safe-paths';

export { detectPhalp } from './detect';
export type { PhalpDetection } from './detect';

/** Full output of the last run, in the run's work folder (see `run` for why it is written this way). */
export const PHALP_LOG_FILE = 'track.log';
const PARTIAL_LOG_FILE = 'track.output.partial.log';
/** time between SIGTERM and SIGKILL when a run is stopped */
const DEFAULT_KILL_GRACE_MS = 5000;
/** keep at most this many non-progress lines in memory for classifying a failure */
const MAX_TEXT_LINES = 20_000;

export interface PhalpRunnerOptions {
  /** ms between SIGTERM and SIGKILL when stopping a run (default 5000) */
  killGraceMs?: number;
  /** warm service: how long a canceled job may take to stop before the service is killed (default 10000) */
  cancelGraceMs?: number;
  /** warm service: a job with no new output (no new percent, no log line) this long is hung (default PHALP_STALL_MS, 300000) */
  stallMs?: number;
  /** warm service: how long loading the models may take (default 900000: a first run downloads them) */
  readyTimeoutMs?: number;
}

export type PhalpRunner = PoseRunner & {
  /** stops the warm service, if any (worker shutdown, tests) */
  close(): Promise<void>;
};

/** Arguments for track.py, exactly as PHALP.md section 1 recommends (one `key=value` per element). */
export function trackArgs(source: string, outputDir: string): string[] {
  return ['track.py', `video.source=${source}`, `video.output_dir=${outputDir}`, 'video.end_frame=-1', 'render.enable=false'];
}

/** The child's environment on top of ours (ours passes through, e.g. CUDA_VISIBLE_DEVICES). */
export function trackEnv(): Record<string, string> {
  return {
    PYTHONUNBUFFERED: '1',
    FORCE_COLOR: '1', // without it rich prints no progress through a pipe until the end
    NO_COLOR: '1',
    COLUMNS: '200',
    HOME: process.env.HOME || os.homedir(),
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD: '1',
  };
}

async function removeOldResults(resultsDir: string): Promise<void> {
  const names = await readdir(resultsDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.endsWith('.pkl')).map((n) => rm(path.join(resultsDir, n), { force: true })));
}

/** `results/demo_<name>.pkl` written since `since` (ms); any fresh pkl there if PHALP named it otherwise. */
async function findResults(resultsDir: string, name: string, since: number): Promise<string | null> {
  const fresh = async (p: string) => {
    const s = await stat(p).catch(() => null);
    // 2 s of slack for coarse file-system clocks; old files were deleted before the start anyway.
    return s?.isFile() && s.mtimeMs >= since - 2000 ? p : null;
  };
  const expected = await fresh(path.join(resultsDir, `demo_${name}.pkl`));
  if (expected) return expected;
  const names = (await readdir(resultsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.pkl')).sort();
  for (const n of names) {
    const p = await fresh(path.join(resultsDir, n));
    if (p) return p;
  }
  return null;
}

export function createPhalpRunner(config: Config, options: PhalpRunnerOptions = {}): PhalpRunner {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let detection: Promise<PhalpDetection> | null = null;
  const detect = () => (detection ??= detectPhalp(config));

  // PHALP_MODE: the warm service (models loaded once) or one track.py per job. `auto` starts the service
  // and falls back to spawning when it cannot start, saying why (serviceNote, the job's log).
  let mode: 'service' | 'spawn' = config.phalpMode === 'spawn' ? 'spawn' : 'service';
  let serviceNote: string | null = null;
  const spawnStats = { runs: 0, lastLoadSeconds: null as number | null };
  // the folder the service's initial config points at (each job re-points it at the job's own folder)
  const serviceBootDir = path.join(os.tmpdir(), `phalp-service-${process.pid}`);
  const service =
    config.phalpMode === 'spawn' || !config.phalpDir
      ? null
      : new PhalpService(config, {
          overrides: trackArgs('/nonexistent-until-the-first-job', serviceBootDir).slice(1),
          env: trackEnv(),
          killGraceMs,
          cancelGraceMs: options.cancelGraceMs ?? 10_000,
          stallMs: options.stallMs ?? config.phalpStallMs,
          readyTimeoutMs: options.readyTimeoutMs ?? 900_000,
        });
  // load the models now, before the first job arrives ("pre-load models on startup")
  if (service) void service.ensureReady().catch(() => {});

  return {
    kind: 'phalp',

    async describe() {
      const d = await detect();
      return {
        phalpDir: config.phalpDir,
        phalpPython: config.phalpPython,
        phalpFound: d.usable,
        ...(d.reason ? { reason: d.reason } : {}),
        ...(d.pythonVersion ? { pythonVersion: d.pythonVersion } : {}),
        phalpMode: mode,
        phalpModeSetting: config.phalpMode,
        ...(service && mode === 'service'
          ? { modelsLoaded: service.stats.modelsLoaded, modelLoadSeconds: service.stats.modelLoadSeconds, modelLoads: service.stats.modelLoads, serviceRestarts: service.stats.restarts }
          : { modelsLoaded: false, modelLoadSeconds: spawnStats.lastLoadSeconds, modelLoads: spawnStats.runs }),
        ...(serviceNote ? { serviceNote } : {}),
      };
    },

    async close() {
      await service?.close();
      if (service) await rm(serviceBootDir, { recursive: true, force: true }).catch(() => {});
    },

    async run(clip: PreparedClip, ctx: RunContext): Promise<PoseSequence> {
      const phalpDir = config.phalpDir;
      if (!phalpDir) throw new RunnerError('PHALP is not configured: set PHALP_DIR to the 4D-Humans checkout.', 'phalp_not_configured', { fallbackAllowed: true });
      if (ctx.signal.aborted) throw new RunnerError('The run was canceled.', 'canceled', { fallbackAllowed: false });

      const workDir = path.resolve(clip.workDir);
      const resultsDir = path.join(workDir, 'results');
      await mkdir(workDir, { recursive: true });
      await removeOldResults(resultsDir); // an old pkl must never pass for this run's result
      const paths = await plainPaths(clip.framesDir, workDir);

      // Hydra writes its own log lines to <output_dir>/track.log while PHALP runs; we stream the
      // complete output (progress, stdout tracebacks, stderr) to a partial file and move it over
      // track.log when the process is gone, so track.log ends up holding everything.
      const partialLog = path.join(workDir, PARTIAL_LOG_FILE);
      const logFile = createWriteStream(partialLog, { flags: 'w' });
      logFile.on('error', () => {}); // the log is best effort: a full disk must not crash the worker
      let tail = new LogTail();
      const text: string[] = [];
      let trackingStarted = false;
      let lastPercent = -1;
      let lastEta: number | null | undefined;
      let firstProgressAt: number | null = null;

      const report = (p: Parameters<RunContext['onProgress']>[0]) => {
        try {
          ctx.onProgress(p);
        } catch {
          // a broken progress consumer must not break the run
        }
      };
      const onLine = (line: OutputLine) => {
        tail.add(line);
        if (line.kind === 'progress') {
          // Redraws come ~10 times a second; pass on (and log) only those that say something new.
          if (line.percent === lastPercent && line.etaSeconds === lastEta) return;
          const firstOfPercent = line.percent !== lastPercent;
          trackingStarted = true;
          firstProgressAt ??= Date.now();
          if (firstOfPercent) service?.sawProgress();
          lastPercent = line.percent;
          lastEta = line.etaSeconds;
          if (firstOfPercent) logFile.write(line.line + '\n');
          report({ stage: 'tracking', progress: line.percent / 100, etaSeconds: line.etaSeconds ?? undefined, logLine: line.line });
          return;
        }
        logFile.write(line.line + '\n');
        if (text.length >= MAX_TEXT_LINES) text.shift();
        text.push(line.line);
        if (line.kind === 'log') {
          // Before the bar: loading models (minutes on a first run). After: keep the tracking stage.
          if (trackingStarted) report({ stage: 'tracking', progress: Math.max(0, lastPercent) / 100, logLine: line.message });
          else report({ stage: 'loading-model', progress: 0, logLine: line.message });
        }
      };
      /** a new attempt (after a dead service, or falling back to spawn): only its own output decides how it ended */
      const resetAttempt = () => {
        trackingStarted = false;
        lastPercent = -1;
        lastEta = undefined;
        text.length = 0;
        tail = new LogTail();
      };
      const note = (line: string) => onLine({ kind: 'text', line });

      // Results while tracking runs (warm service only): each `frames` event names a pickle of frames that
      // are final (service.py, FinalFrames); they are read in order and handed on. A retried job (restarted
      // service) starts at frame 0 again: frames already handed on are skipped. A chunk that cannot be read
      // ends the streaming for this run (the final results still come from the whole pkl).
      let handedOut = 0;
      let streaming = !!ctx.onFinalFrames;
      let reading: Promise<void> = Promise.resolve();
      const onFrames = (e: { first: number; last: number; pkl: string }) => {
        reading = reading.then(async () => {
          if (!streaming || e.last < handedOut) return;
          if (e.first > handedOut) throw new Error(`frames ${handedOut}..${e.first - 1} were never reported`);
          const { frames, ...meta } = await readPhalpResults(e.pkl, { frameIndex: clip.frameIndex });
          ctx.onFinalFrames!({ meta, frames: frames.slice(handedOut, e.last + 1) });
          handedOut = e.last + 1;
        }).catch((err: unknown) => {
          streaming = false;
          note(`[motion-coach] results while tracking stopped: ${(err as Error).message}`);
        });
      };

      let startedAt = Date.now();
      let result: { kind: 'spawn'; exit: Awaited<ReturnType<typeof runSpawned>> } | { kind: 'service'; outcome: JobOutcome } | null = null;
      try {
        if (service && mode === 'service') {
          try {
            if (!service.stats.modelsLoaded) report({ stage: 'loading-model', progress: 0, logLine: 'Starting the PHALP service (models are loaded once)' });
            await service.ensureReady(onLine);
          } catch (err) {
            if (!(err instanceof ServiceStartError)) throw err;
            if (config.phalpMode === 'service') {
              throw startFailure(err, tail.get(), phalpDir);
            }
            // auto: say why, then run this job (and later ones) the old way
            mode = 'spawn';
            resetAttempt();
            serviceNote = `The warm PHALP service could not start (${err.message}); each job runs track.py, which loads the models every time.`;
            note(`[motion-coach] ${serviceNote}`);
            report({ stage: 'loading-model', progress: 0, logLine: serviceNote });
          }
        }
        if (service && mode === 'service') {
          // a service that died or hung mid-job is restarted and the job tried once more
          for (let attempt = 1; ; attempt++) {
            startedAt = Date.now();
            await removeOldResults(resultsDir);
            const outcome = await service.run(
              { id: `${clip.clipId}-${attempt}`, source: paths.source, outputDir: paths.outputDir },
              { onLine, signal: ctx.signal, timeoutMs: config.poseTimeoutMs, onFrames },
            );
            result = { kind: 'service', outcome };
            if ((outcome.kind === 'crashed' || outcome.kind === 'stalled') && attempt < 2 && !ctx.signal.aborted) {
              note(`[motion-coach] The PHALP service ${outcome.kind === 'crashed' ? `died (${outcome.exit.signal ?? `exit code ${outcome.exit.exitCode}`})` : `printed nothing for ${Math.round(outcome.silentMs / 1000)} s and was killed`}; restarting it and trying the job again.`);
              resetAttempt();
              report({ stage: 'loading-model', progress: 0, logLine: 'Restarting the PHALP service' });
              continue;
            }
            break;
          }
        } else {
          report({ stage: 'loading-model', progress: 0, logLine: 'Starting PHALP' });
          startedAt = Date.now();
          firstProgressAt = null;
          const exit = await runSpawned(config, paths, onLine, ctx.signal, killGraceMs);
          spawnStats.runs++;
          if (firstProgressAt) spawnStats.lastLoadSeconds = (firstProgressAt - startedAt) / 1000;
          result = { kind: 'spawn', exit };
        }
      } finally {
        await reading; // the last chunks are handed on before the run ends
        await new Promise<void>((resolve) => logFile.end(() => resolve())); // called on finish and on error
        await rename(partialLog, path.join(workDir, PHALP_LOG_FILE)).catch(() => {});
        await paths.release();
      }

      const logTail = tail.get();
      const stopReason = result.kind === 'spawn' ? result.exit.stopReason : result.outcome.kind === 'canceled' ? 'canceled' : result.outcome.kind === 'timeout' ? 'timeout' : null;
      if (stopReason === 'canceled') {
        throw new RunnerError('The run was canceled and PHALP was stopped.', 'canceled', { logTail, retryable: false, fallbackAllowed: false });
      }
      if (stopReason === 'timeout') {
        throw new RunnerError(
          `PHALP did not finish within ${Math.round(config.poseTimeoutMs / 1000)} s and was stopped. For long clips raise ` +
            'POSE_TIMEOUT_MS (PHALP processes about 2 frames per second on a fast GPU).',
          'timeout',
          { logTail, retryable: false, fallbackAllowed: true },
        );
      }
      if (result.kind === 'spawn' && result.exit.spawnError) {
        throw new RunnerError(
          `PHALP could not be started: PHALP_PYTHON=${config.phalpPython} failed to run (${result.exit.spawnError}). Check PHALP_PYTHON.`,
          'phalp_not_started',
          { logTail, retryable: false, fallbackAllowed: true },
        );
      }

      const pkl = await findResults(resultsDir, paths.name, startedAt);
      let outcome;
      if (result.kind === 'spawn') {
        outcome = { exitCode: result.exit.exitCode, signal: result.exit.signal, text: text.join('\n'), logTail, resultsWritten: pkl !== null };
      } else {
        const o = result.outcome;
        // the service's job outcome, told the way a spawned track.py would have ended
        const exitCode = o.kind === 'done' ? 0 : o.kind === 'failed' ? 1 : (o.kind === 'crashed' ? o.exit.exitCode : null);
        const signal = o.kind === 'crashed' ? o.exit.signal : o.kind === 'stalled' ? 'SIGKILL' : null;
        outcome = { exitCode, signal, text: text.join('\n'), logTail, resultsWritten: pkl !== null };
        if (o.kind === 'stalled' && !pkl) {
          throw new RunnerError(
            `PHALP stopped making progress (nothing new for ${Math.round(o.silentMs / 1000)} s, twice) and was stopped. See the log below.`,
            'phalp_hung',
            { logTail, retryable: true, fallbackAllowed: true },
          );
        }
        if (o.kind === 'failed' && !pkl) {
          const err = classifyFailure({ ...outcome, exitCode: 0 }, phalpDir);
          if (['phalp_failed', 'phalp_crashed', 'no_results'].includes(err.code)) {
            throw new RunnerError(`PHALP failed: ${o.message}. See the log below.`, err.code, err.options);
          }
          throw err;
        }
      }
      if (failed(outcome) || !pkl) throw classifyFailure(outcome, phalpDir);

      report({ stage: 'reading-results', progress: 1, logLine: `Reading ${path.basename(pkl)}` });
      try {
        return await readPhalpResults(pkl, { frameIndex: clip.frameIndex });
      } catch (err) {
        throw new RunnerError(
          `PHALP finished but its results file could not be read: ${(err as Error).message}`,
          'results_unreadable',
          { logTail, retryable: false, fallbackAllowed: true },
        );
      }
    },
  };
}

/** A service that could not load its models, explained like a spawned track.py that failed before its loop. */
function startFailure(err: ServiceStartError, logTail: string[], phalpDir: string): RunnerError {
  const known = classifyFailure({ exitCode: 1, signal: null, text: err.text, logTail, resultsWritten: false }, phalpDir);
  if (known.code !== 'phalp_failed') return known;
  return new RunnerError(`PHALP could not start: ${err.message}. See the log below.`, 'phalp_service_start', { logTail, retryable: false, fallbackAllowed: true });
}

/** One track.py per job (PHALP_MODE=spawn, or auto when the service cannot start). */
async function runSpawned(
  config: Config,
  paths: Awaited<ReturnType<typeof plainPaths>>,
  onLine: (line: OutputLine) => void,
  signal: AbortSignal,
  killGraceMs: number,
) {
  const splitters = { out: new LineSplitter(), err: new LineSplitter() };
  const tree = startProcessTree(config.phalpPython, trackArgs(paths.source, paths.outputDir), {
    cwd: config.phalpDir!,
    env: trackEnv(),
    onStdout: (t) => splitters.out.push(t).forEach(onLine),
    onStderr: (t) => splitters.err.push(t).forEach(onLine),
  });

  let stopReason: 'timeout' | 'canceled' | null = null;
  const stop = (reason: 'timeout' | 'canceled') => {
    stopReason ??= reason;
    tree.terminate(killGraceMs);
  };
  const timer = setTimeout(() => stop('timeout'), config.poseTimeoutMs);
  const onAbort = () => stop('canceled');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort(); // aborted while we were setting up

  try {
    const exit = await tree.exited;
    return { ...exit, stopReason: stopReason as 'timeout' | 'canceled' | null };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    [...splitters.out.flush(), ...splitters.err.flush()].forEach(onLine);
  }
}
