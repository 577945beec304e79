/**
 * The web server's tool helper: a small child process that starts ffprobe/ffmpeg for the web server
 * (started by tool-runner.mjs; see there why). Runs each tool to completion with its output buffered.
 *
 * Messages in:  { type: 'run', id, file, args, timeoutMs?, maxBuffer? } and { type: 'kill', id }.
 * Messages out: { id, exitCode, signal, stdout, stderr, timedOut, failed, message }.
 * When the web server goes away (the IPC channel closes), every tool still running is killed and the
 * helper exits: it never outlives the server.
 */
import { execa } from 'execa';
import { toToolResult } from './tool-result.mjs';

const running = new Map();

process.on('message', (msg) => {
  if (msg?.type === 'kill') {
    running.get(msg.id)?.kill('SIGTERM');
    return;
  }
  if (msg?.type !== 'run') return;
  const child = execa(msg.file, msg.args, {
    reject: false,
    stdin: 'ignore',
    timeout: msg.timeoutMs,
    maxBuffer: msg.maxBuffer ?? 16 * 1024 * 1024,
    // a tool that ignores SIGTERM is killed 3 s later
    forceKillAfterDelay: 3000,
  });
  running.set(msg.id, child);
  child.then((r) => {
    running.delete(msg.id);
    if (!process.connected) return;
    process.send({ id: msg.id, ...toToolResult(r) });
  });
});

process.on('disconnect', () => {
  for (const child of running.values()) child.kill('SIGKILL');
  process.exit(0);
});
