/**
 * ffprobe/ffmpeg for the web server, started by a small helper process (tool-helper.mjs) instead of by
 * the web server itself.
 *
 * Why: Node starts a child with fork + exec, and the parent's event loop waits until the exec is done.
 * The fork copies the parent's page tables, so the wait grows with the parent's memory: 12-50 ms for a
 * 40 MiB process, 40-140 ms for the web server at 0.4-0.9 GiB (measured here). Every upload check
 * starts two tools, so under a team's uploads every player's request waited behind those pauses. The
 * helper is forked once, while the server is still small, and pays the per-tool fork itself.
 *
 * scripts/web-server.mjs starts it and registers the runner on globalThis (TOOL_RUNNER); the app's
 * code (lib/video/ffmpeg.ts runTool) uses it when it is there and starts tools itself otherwise (the
 * worker, tests, `next dev`). When the helper dies it is started again on the next call; a call in
 * flight then fails with a clear error.
 *
 * Plain JavaScript: the web server imports it without tsx.
 */
import { fork } from 'node:child_process';
import path from 'node:path';

export const TOOL_RUNNER = Symbol.for('motion-coach.tool-runner');

const HELPER = path.join(import.meta.dirname, 'tool-helper.mjs');

/** Forks the helper now; returns the runner (also registered on globalThis[TOOL_RUNNER]). */
export function startToolRunner() {
  let helper = null;
  let nextId = 1;
  const pending = new Map();

  const start = () => {
    // no inherited Node flags (a profiler preload, inspector): the helper only starts tools
    const child = fork(HELPER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    child.on('message', (msg) => {
      const call = pending.get(msg.id);
      if (!call) return;
      pending.delete(msg.id);
      call.resolve(msg);
    });
    child.on('exit', (code, signal) => {
      if (helper === child) helper = null;
      for (const [id, call] of pending) {
        if (call.target !== child) continue;
        pending.delete(id);
        call.reject(new Error(`the web server's tool helper stopped (${signal ?? `exit ${code}`}) while running ${call.file}`));
      }
    });
    // the helper must not keep the server alive on its own
    child.unref();
    child.channel?.unref();
    return child;
  };
  helper = start();

  const runner = {
    /** pid of the helper process (tests) */
    get pid() {
      return helper?.pid ?? null;
    },
    /**
     * Runs `file args` in the helper to completion. Resolves with
     * { exitCode, signal, stdout, stderr, timedOut, failed, message }; `signal` (AbortSignal) kills it.
     */
    run(file, args, { signal, timeoutMs, maxBuffer } = {}) {
      if (!helper || !helper.connected) helper = start();
      const target = helper;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onAbort = () => target.connected && target.send({ type: 'kill', id });
        const settled = () => {
          signal?.removeEventListener('abort', onAbort);
          if (pending.size === 0) target.channel?.unref();
        };
        pending.set(id, {
          file,
          target,
          resolve: (r) => (settled(), resolve(r)),
          reject: (e) => (settled(), reject(e)),
        });
        // while an answer is awaited the channel keeps the process alive
        target.channel?.ref();
        signal?.addEventListener('abort', onAbort, { once: true });
        target.send({ type: 'run', id, file, args, timeoutMs, maxBuffer });
        if (signal?.aborted) onAbort();
      });
    },
    /** stops the helper (tests; the server's exit stops it anyway) */
    stop() {
      helper?.kill('SIGTERM');
      helper = null;
    },
  };
  globalThis[TOOL_RUNNER] = runner;
  return runner;
}
