/** Upload validation: what is not a video gets 415, a broken video 422, each with a reason a coach reads. */
import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingFrames } from '../../lib/video/completeness';
import { extractFrames } from '../../lib/video/extract';
import { probeVideo, validateVideo } from '../../lib/video/probe';
import {
  makeCfrClip,
  makeEmptyFile,
  makeTextNamedMp4,
  makeTruncatedMp4,
  makeWav,
} from '../../scripts/fixtures/make-videos';
import { SAMPLE, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('validate');
});
afterAll(() => tmp?.cleanup());

describe('validateVideo', { timeout: 60_000 }, () => {
  it('accepts the real sample without counting its frames', async () => {
    const v = await validateVideo(SAMPLE);
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.info).toMatchObject({ width: 1768, height: 994, codec: 'vp9', frameCount: 230, estimated: true });
  });

  it('accepts a generated H.264 + AAC clip', async () => {
    const v = await validateVideo(await makeCfrClip(tmp.dir));
    expect(v).toMatchObject({ ok: true, info: { browserPlayable: true, frameCount: 60 } });
  });

  it('a text file named .mp4 -> 415, "looks like plain text"', async () => {
    const v = await validateVideo(await makeTextNamedMp4(tmp.dir));
    expect(v).toEqual({ ok: false, status: 415, reason: 'This file is not a video (it looks like plain text).' });
  });

  it('a truncated MP4 (first 30 %, index at the end missing) -> 422, incomplete', async () => {
    const v = await validateVideo(await makeTruncatedMp4(tmp.dir));
    expect(v).toMatchObject({ ok: false, status: 422 });
    if (!v.ok) expect(v.reason).toMatch(/MP4 video is incomplete or damaged/);
    if (!v.ok) expect(v.reason).not.toContain(tmp.dir); // no server paths in user-facing text
  });

  it('an MP4 whose picture data is garbage -> 422, no frame decodes', async () => {
    // keep the container (index, sizes) intact and overwrite the H.264 data: it opens, nothing decodes
    const clip = await makeCfrClip(tmp.dir, { name: 'garbled.mp4', audio: false });
    const { readFile, writeFile } = await import('node:fs/promises');
    const buf = await readFile(clip);
    const mdat = buf.indexOf('mdat');
    for (let i = mdat + 4; i < buf.length && buf.toString('latin1', i, i + 4) !== 'moov'; i++) buf[i] = (i * 7919) & 0xff;
    await writeFile(clip, buf);
    const v = await validateVideo(clip);
    expect(v).toMatchObject({ ok: false, status: 422 });
    if (!v.ok) expect(v.reason).toMatch(/not a single frame decodes/);
  });

  it('a faststart MP4 cut in half: its first frame decodes, but validateVideo (and missingFrames) see the missing frames -> 422; the exact probe counts what is there', async () => {
    // index first, so ffmpeg can read the half that arrived and decode its first frame: only counting the
    // packets against the index tells
    const whole = await makeCfrClip(tmp.dir, { name: 'fs-whole.mp4', seconds: 3, audio: false });
    const faststart = path.join(tmp.dir, 'fs.mp4');
    await execa('ffmpeg', ['-v', 'error', '-y', '-i', whole, '-c', 'copy', '-movflags', '+faststart', faststart]);
    const { readFile, writeFile } = await import('node:fs/promises');
    const bytes = await readFile(faststart);
    const half = path.join(tmp.dir, 'fs-half.mp4');
    await writeFile(half, bytes.subarray(0, bytes.length >> 1));
    const v = await validateVideo(half);
    expect(v).toMatchObject({ ok: false, status: 422, reason: expect.stringMatching(/index lists 90 frames but only \d+ are in the file/) });
    const missing = await missingFrames(half);
    expect(missing?.promised).toBe(90);
    expect(missing?.present).toBeLessThan(90);
    const info = await probeVideo(half);
    expect(info.frameCount).toBeGreaterThan(10);
    expect(info.frameCount).toBeLessThan(90);
    expect(info.duration).toBeLessThan(2.5); // what decodes, not the 3 s the index promises
    const index = await extractFrames(half, path.join(tmp.dir, 'fs-half-frames'), { info });
    expect(index.frameCount).toBe(info.frameCount);
  });

  it('an empty file -> 422, empty', async () => {
    expect(await validateVideo(await makeEmptyFile(tmp.dir))).toMatchObject({ ok: false, status: 422, reason: expect.stringMatching(/empty/) });
  });

  it('a WAV (media, but no picture) -> 415, audio', async () => {
    expect(await validateVideo(await makeWav(tmp.dir))).toMatchObject({ ok: false, status: 415, reason: expect.stringMatching(/sound but no picture/) });
  });

  it('a PNG image named .mp4 -> 415, still image', async () => {
    const png = path.join(tmp.dir, 'photo.mp4');
    await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=64x48', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', png]);
    expect(await validateVideo(png)).toMatchObject({ ok: false, status: 415, reason: expect.stringMatching(/still image/) });
  });

  it('random bytes -> 415, not a format we recognise', async () => {
    const { writeFile } = await import('node:fs/promises');
    const junk = path.join(tmp.dir, 'junk.mov');
    await writeFile(junk, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24)));
    expect(await validateVideo(junk)).toMatchObject({ ok: false, status: 415, reason: expect.stringMatching(/not a video/) });
  });
});
