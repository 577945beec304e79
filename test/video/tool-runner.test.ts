/**
 * The web server's tool helper (lib/process/tool-runner.mjs): ffprobe/ffmpeg started by a small helper
 * process instead of by the (large) web server. The tools really run in the helper, the upload check goes
 * through it when it is registered, timeouts and cancels kill the tool, a dead helper is replaced, and a
 * helper whose server died takes its tools with it.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolRunner, TOOL_RUNNER, type ToolRunner } from '../../lib/process/tool-runner.mjs';
import { validateVideo } from '../../lib/video/probe';
import { SAMPLE, tempDir } from './helpers';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

let runner: ToolRunner;
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('tool-runner');
  runner = startToolRunner();
});
afterAll(async () => {
  delete (globalThis as Record<symbol, unknown>)[TOOL_RUNNER];
  runner?.stop();
  await tmp?.cleanup();
});

describe('tool runner', { timeout: 60_000 }, () => {
  it('runs a tool in the helper process, not in this one', async () => {
    const r = await runner.run('sh', ['-c', 'echo $PPID; echo oops >&2; exit 3']);
    expect(r.exitCode).toBe(3);
    expect(r.failed).toBe(true);
    expect(Number(r.stdout.trim())).toBe(runner.pid);
    expect(runner.pid).not.toBe(process.pid);
    expect(r.stderr.trim()).toBe('oops');
  });

  it('the upload check starts its tools through it when it is registered, with the same verdicts', async () => {
    const started: string[] = [];
    const counting: Pick<ToolRunner, 'run'> = { run: (file, args, options) => (started.push(path.basename(file)), runner.run(file, args, options)) };
    const text = path.join(tmp.dir, 'notes.mp4');
    await fs.writeFile(text, 'not a video at all\n'.repeat(100));
    const before = [await validateVideo(SAMPLE), await validateVideo(text)];
    expect(started).toEqual([]);
    (globalThis as Record<symbol, unknown>)[TOOL_RUNNER] = counting;
    try {
      const through = [await validateVideo(SAMPLE), await validateVideo(text)];
      expect(through).toEqual(before);
    } finally {
      delete (globalThis as Record<symbol, unknown>)[TOOL_RUNNER];
    }
    expect(before[0]!.ok).toBe(true);
    expect(before[1]).toMatchObject({ ok: false, status: 415 });
    // each check: the container probe (ffprobe) next to the one-frame decode (ffmpeg)
    expect(started.sort()).toEqual(['ffmpeg', 'ffmpeg', 'ffprobe', 'ffprobe']);
  });

  it('stops a tool that runs past its timeout, and one whose caller cancels', async () => {
    let t = Date.now();
    const late = await runner.run('sleep', ['30'], { timeoutMs: 300 });
    expect(late.timedOut).toBe(true);
    expect(Date.now() - t).toBeLessThan(5000);

    const pidFile = path.join(tmp.dir, 'sleep.pid');
    const cancel = new AbortController();
    t = Date.now();
    const run = runner.run('sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], { signal: cancel.signal });
    await until(() => existsSync(pidFile));
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    cancel.abort();
    const r = await run;
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - t).toBeLessThan(5000);
    expect(alive(pid)).toBe(false);
  });

  it('a call in flight when the helper dies fails with a clear error; the next call starts a new helper', async () => {
    const first = runner.pid!;
    const run = runner.run('sleep', ['30']);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(first, 'SIGKILL');
    await expect(run).rejects.toThrow(/tool helper stopped \(SIGKILL\) while running sleep/);
    const r = await runner.run('sh', ['-c', 'echo $PPID']);
    expect(r.exitCode).toBe(0);
    expect(runner.pid).not.toBe(first);
    expect(Number(r.stdout.trim())).toBe(runner.pid);
  });

  it('when its server is killed, the helper exits and kills the tools it started', async () => {
    const pidFile = path.join(tmp.dir, 'orphan.pid');
    const runnerModule = path.resolve('lib/process/tool-runner.mjs');
    const server = execa(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { startToolRunner } from ${JSON.stringify(runnerModule)};
         const r = startToolRunner();
         console.log(r.pid);
         r.run('sh', ['-c', 'echo $$ > ${pidFile}; exec sleep 60']);
         setInterval(() => {}, 1000);`,
      ],
      { reject: false, buffer: false, stdout: 'pipe' },
    );
    const helperPid = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    await until(() => existsSync(pidFile));
    const toolPid = Number(await fs.readFile(pidFile, 'utf8'));
    expect(alive(helperPid) && alive(toolPid)).toBe(true);
    server.kill('SIGKILL');
    await server;
    await until(() => !alive(helperPid) && !alive(toolPid));
  });
});
