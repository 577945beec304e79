import os from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { toToolResult } from '../process/tool-result.mjs';
import type { ToolResult, ToolRunner } from '../process/tool-runner.mjs';

// the web server's tool runner, registered on globalThis by scripts/web-server.mjs (the same key as
// TOOL_RUNNER in lib/process/tool-runner.mjs; that module is not imported here: it forks a process, which
// the app's bundler would try to trace)
const TOOL_RUNNER = Symbol.for('motion-coach.tool-runner');

/**
 * Running Debian's ffprobe/ffmpeg (5.1) through execa. Every call takes an AbortSignal: execa's
 * `cancelSignal` kills the child (SIGTERM, then SIGKILL after 3 s), so a canceled job leaves no orphan.
 */
export const FFMPEG = process.env.FFMPEG_BIN || 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_BIN || 'ffprobe';

/** ffmpeg/ffprobe failed; `stderrTail` holds its last lines (what it said about the input). */
export class VideoToolError extends Error {
  constructor(
    message: string,
    readonly stderrTail: string[] = [],
  ) {
    super(stderrTail.length ? `${message}\n${stderrTail.join('\n')}` : message);
    this.name = 'VideoToolError';
  }
}

/** The error thrown when the caller's signal aborts a run: the signal's reason, or a standard AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'The operation was aborted', 'AbortError');
}

export function lastLines(text: string, n = 8): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-n);
}

const killOptions = { forceKillAfterDelay: 3000, stdin: 'ignore' as const };

/**
 * Runs a tool to completion with its output buffered. In the web server the tool is started by its tool
 * helper process (lib/process/tool-runner.mjs says why: a fork from a large process stalls its event
 * loop); elsewhere (worker, tests) here.
 */
export async function runTool(
  file: string,
  args: string[],
  options: { signal?: AbortSignal; timeoutMs?: number; maxBuffer?: number } = {},
): Promise<ToolResult> {
  const runner = (globalThis as { [TOOL_RUNNER]?: ToolRunner })[TOOL_RUNNER];
  if (runner) return runner.run(file, args, options);
  const r = await execa(file, args, {
    ...killOptions,
    cancelSignal: options.signal,
    timeout: options.timeoutMs,
    reject: false,
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
  });
  return toToolResult(r);
}

/** Runs ffprobe with `-of json` and returns the parsed output. */
export async function ffprobeJson<T>(args: string[], signal?: AbortSignal, timeoutMs?: number): Promise<T> {
  const result = await runTool(FFPROBE, ['-v', 'error', '-of', 'json', ...args], { signal, timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (signal?.aborted) throw abortError(signal);
  if (result.timedOut) throw new VideoToolError(`ffprobe took longer than ${timeoutMs} ms and was stopped`);
  if (result.exitCode !== 0 || result.failed) {
    throw new VideoToolError(`ffprobe failed (exit ${result.exitCode ?? result.signal})`, lastLines(result.stderr));
  }
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new VideoToolError('ffprobe printed output that is not JSON', lastLines(result.stdout));
  }
}

/**
 * Runs ffmpeg with `-progress pipe:1` and reports the `frame=` counter. stderr is read line by line
 * (it can be long, e.g. one showinfo line per frame): `onStderrLine` sees every line, and the last
 * lines are kept for the error message.
 */
export async function runFfmpeg(
  args: string[],
  options: {
    signal?: AbortSignal;
    onFrame?: (frame: number) => void;
    onStderrLine?: (line: string) => void;
    what: string; // e.g. 'frame extraction', used in error messages
    /** run at a lower CPU priority (nice value, e.g. 10): work that must not slow down more urgent work */
    niceness?: number;
  },
): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const child: ResultPromise = execa(
    FFMPEG,
    ['-hide_banner', '-nostdin', '-nostats', '-progress', 'pipe:1', ...args],
    { ...killOptions, cancelSignal: signal, reject: false, buffer: false, stdout: 'pipe', stderr: 'pipe' },
  );
  if (options.niceness && child.pid) {
    try {
      os.setPriority(child.pid, options.niceness);
    } catch {
      // not allowed here: it runs at the normal priority
    }
  }
  const tail: string[] = [];
  const pumpStderr = (async () => {
    for await (const line of child.iterable({ from: 'stderr' })) {
      const text = String(line);
      options.onStderrLine?.(text);
      // showinfo lines are noise in an error message; keep ffmpeg's own complaints
      if (!text.includes('Parsed_showinfo')) {
        tail.push(text);
        if (tail.length > 12) tail.shift();
      }
    }
  })();
  const pumpProgress = (async () => {
    for await (const line of child.iterable({ from: 'stdout' })) {
      const m = /^frame=(\d+)/.exec(String(line));
      if (m) options.onFrame?.(Number(m[1]));
    }
  })();
  const [result] = await Promise.all([child, pumpStderr.catch(() => {}), pumpProgress.catch(() => {})]);
  if (signal?.aborted) throw abortError(signal);
  if (result.exitCode !== 0 || result.failed) {
    throw new VideoToolError(`ffmpeg ${options.what} failed (exit ${result.exitCode ?? result.signal})`, tail);
  }
}

/** "30000/1001" -> 29.97...; "0/0" or garbage -> 0 */
export function parseRational(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (d === undefined) return Number.isFinite(n) ? n! : 0;
  return Number.isFinite(n) && Number.isFinite(d) && d !== 0 ? n! / d : 0;
}
