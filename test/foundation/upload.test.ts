import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload } from '../../lib/clips/service';
import { getConfig, resetConfigForTests } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { closeQueue, poseQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { clipLayout, uploadsDir } from '../../lib/storage/layout';
import { HttpError } from '../../lib/upload';
import { bytesChunks, fileChunks, multipartRequest, SAMPLE_VIDEO } from './helpers';
import { testOwner } from '../auth/helpers';

async function uploadError(req: Request): Promise<HttpError> {
  try {
    await acceptUpload(await testOwner(), req);
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('the upload was accepted');
}

async function leftoverUploads(): Promise<string[]> {
  return fsp.readdir(uploadsDir(getConfig().dataDir)).catch(() => []);
}

let tmp: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-upload-'));
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('POST /api/clips (acceptUpload)', () => {
  it('accepts the real sample clip, stores it under its id with its sha256, and queues a job', async () => {
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'two_people_jump.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    expect(clip.status).toBe('queued');
    expect(clip.filename).toBe('two_people_jump.mp4');
    const expectedSha = crypto.createHash('sha256').update(fs.readFileSync(SAMPLE_VIDEO)).digest('hex');
    expect(clip.sha256).toBe(expectedSha);
    const stored = clipLayout(getConfig().dataDir, clip.id).source;
    expect(fs.statSync(stored).size).toBe(fs.statSync(SAMPLE_VIDEO).size);
    expect(await getClipDoc(clip.id)).not.toBeNull();
    const job = await poseQueue().getJob(clip.id);
    expect(job?.data.clipId).toBe(clip.id);
    expect(await leftoverUploads()).toEqual([]);
  });

  it('keeps the original name for display only, never as a path', async () => {
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: '../../etc/passwd.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    expect(clip.filename).toBe('passwd.mp4');
    expect(fs.existsSync(clipLayout(getConfig().dataDir, clip.id).source)).toBe(true);
  });

  it('refuses a text file named .mp4 with 415 and a reason, leaving nothing on disk', async () => {
    const err = await uploadError(multipartRequest({ name: 'notes.mp4', chunks: bytesChunks(Buffer.from('just some text\n'.repeat(200))) }));
    expect(err.status).toBe(415);
    expect(err.message).toMatch(/not a video/i);
    expect(await leftoverUploads()).toEqual([]);
  });

  it('refuses a truncated mp4 with a reason', async () => {
    const truncated = path.join(tmp, 'truncated.mp4');
    // the faststart-less sample keeps its index at the end: the first 30% has no decodable frame
    const whole = fs.readFileSync(SAMPLE_VIDEO);
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.3)));
    const err = await uploadError(multipartRequest({ name: 'truncated.mp4', chunks: fileChunks(truncated) }));
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/incomplete|cut off/);
    expect(await leftoverUploads()).toEqual([]);
  });

  it('refuses an empty file', async () => {
    const err = await uploadError(multipartRequest({ name: 'empty.mp4', chunks: bytesChunks(new Uint8Array(0)) }));
    expect([415, 422]).toContain(err.status);
    expect(await leftoverUploads()).toEqual([]);
  });

  it('refuses a request without the file field', async () => {
    const req = new Request('http://localhost/api/clips', { method: 'POST', body: new FormData() });
    const err = await uploadError(req);
    expect(err.status).toBe(400);
  });

  it('stops an over-limit upload while streaming with 413 and removes the partial file', async () => {
    process.env.MAX_UPLOAD_BYTES = String(1024 * 1024);
    resetConfigForTests();
    try {
      const err = await uploadError(multipartRequest({ name: 'big.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
      expect(err.status).toBe(413);
      expect(err.message).toMatch(/larger than the limit of 1\.0 MB/);
      expect(await leftoverUploads()).toEqual([]);
    } finally {
      delete process.env.MAX_UPLOAD_BYTES;
      resetConfigForTests();
    }
  });

  it('streams a 512 MB upload to disk with flat memory', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(7);
    const total = 512;
    let peak = 0;
    const before = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    async function* chunks() {
      for (let i = 0; i < total; i++) yield chunk;
    }
    const err = await uploadError(multipartRequest({ name: 'noise.mp4', chunks: chunks() }));
    clearInterval(sampler);
    // it is not a video, so it is refused at the end, after all 512 MB went through the stream
    expect(err.status).toBe(415);
    const growthMb = (peak - before) / 1024 / 1024;
    expect(growthMb).toBeLessThan(96);
    expect(await leftoverUploads()).toEqual([]);
  });
});

describe('ffprobe sanity of the stored sample', () => {
  it('the sample is what the tests assume (230 frames)', () => {
    const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', SAMPLE_VIDEO]);
    expect(out.toString().trim()).toBe('230');
  });
});
