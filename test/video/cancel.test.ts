/** Cancel: aborting the signal kills ffmpeg (no orphan process) and leaves no half-written playable copy. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFrames } from '../../lib/video/extract';
import { makePlayable } from '../../lib/video/playable';
import { probeVideo } from '../../lib/video/probe';
import type { VideoInfo } from '../../lib/video/types';
import { ffmpegProcessesMentioning, SAMPLE, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let info: VideoInfo;
beforeAll(async () => {
  tmp = await tempDir('cancel');
  info = await probeVideo(SAMPLE, { countFrames: false }); // container figures are enough here
}, 120_000);
afterAll(() => tmp?.cleanup());

describe('abort', { timeout: 120_000 }, () => {
  it('mid-extraction kills ffmpeg and rejects with the abort reason', async () => {
    const framesDir = path.join(tmp.dir, 'frames');
    const controller = new AbortController();
    let seen = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const run = extractFrames(SAMPLE, framesDir, {
      info,
      signal: controller.signal,
      onProgress: (done) => {
        seen = done;
        if (done > 0) started();
      },
    });
    const outcome = run.then(() => 'finished', (err: Error) => err.message); // no unhandled rejection
    await running;
    expect(await ffmpegProcessesMentioning(framesDir)).toHaveLength(1); // it is running
    controller.abort(new Error('canceled by the user'));
    expect(await outcome).toBe('canceled by the user');
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(230);
    expect(await ffmpegProcessesMentioning(framesDir)).toEqual([]);
    expect((await readdir(framesDir)).length).toBeLessThan(230); // stopped part way; the caller removes the folder
  });

  it('an already aborted signal starts nothing', async () => {
    const framesDir = path.join(tmp.dir, 'frames-never');
    await expect(extractFrames(SAMPLE, framesDir, { info, signal: AbortSignal.abort() })).rejects.toThrow();
    expect(await ffmpegProcessesMentioning(framesDir)).toEqual([]);
  });

  it('mid-transcode kills ffmpeg and leaves no output file', async () => {
    const out = path.join(tmp.dir, 'playable.mp4');
    const controller = new AbortController();
    const run = makePlayable(SAMPLE, out, {
      info,
      signal: controller.signal,
      onProgress: (done) => done > 0 && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(await ffmpegProcessesMentioning(out)).toEqual([]);
    expect((await readdir(tmp.dir)).filter((f) => f.startsWith('playable'))).toEqual([]);
  });
});
