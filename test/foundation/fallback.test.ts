import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload } from '../../lib/clips/service';
import { closeDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { fileChunks, multipartRequest, PHALP_DOUBLE_DIR, startWorker, waitFor, waitForWorkerReady } from './helpers';
import { testOwner } from '../auth/helpers';

/**
 * POSE_FALLBACK=cpu: PHALP (its TEST DOUBLE, told to fail before its frame loop the way a machine
 * without the SMPL model does) fails for a reason it cannot fix, so the job uses the CPU runner and the
 * clip says so. Without POSE_FALLBACK the same clip fails with PHALP's classified message.
 */
const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-fallback-'));
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
});

function makeClip(): string {
  const file = path.join(tmp, `${crypto.randomUUID()}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-metadata', `comment=${crypto.randomUUID()}`, file]);
  return file;
}

const FAILING_PHALP = { POSE_RUNNER: 'phalp', PHALP_DIR: PHALP_DOUBLE_DIR, PHALP_PYTHON: '/usr/bin/python3', PHALP_DOUBLE_MODE: 'fail-before-loop' };

it('without POSE_FALLBACK the clip fails with PHALP\'s explained reason and its last output lines', { timeout: 180_000 }, async () => {
  const w = startWorker(FAILING_PHALP);
  try {
    await waitForWorkerReady(w);
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'fails.mp4', chunks: fileChunks(makeClip()) }));
    const failed = await waitFor(async () => {
      const d = await getClipDoc(clip.id);
      return d?.status === 'failed' ? d : null;
    }, 120_000, 'clip failed');
    expect(failed.error).toMatch(/SMPL/);
    expect(failed.errorCode).toBe('smpl_missing');
    expect(failed.logTail.join('\n')).toMatch(/Error executing job with overrides/);
    expect(failed.attempts).toBe(1); // not retried: retrying cannot help
  } finally {
    await w.stop('SIGKILL');
  }
});

it('with POSE_FALLBACK=cpu the clip is done by the CPU runner and says why', { timeout: 240_000 }, async () => {
  const w = startWorker({ ...FAILING_PHALP, POSE_FALLBACK: 'cpu' });
  try {
    await waitForWorkerReady(w);
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'fallback.mp4', chunks: fileChunks(makeClip()) }));
    const done = await waitFor(async () => {
      const d = await getClipDoc(clip.id);
      if (d?.status === 'failed') throw new Error(`failed: ${d.error}`);
      return d?.status === 'done' ? d : null;
    }, 200_000, 'clip done');
    expect(done.runner).toBe('cpu');
    expect(done.runnerNote).toMatch(/PHALP failed .*CPU runner was used instead/);
    expect(done.pose?.runner).toBe('cpu');
  } finally {
    await w.stop('SIGKILL');
  }
});
