/** Clips made at test time with ffmpeg lavfi (scripts/fixtures/make-videos.ts): VFR, phone portrait, odd size. */
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFrames } from '../../lib/video/extract';
import { makePlayable } from '../../lib/video/playable';
import { probeVideo } from '../../lib/video/probe';
import { makeCfrClip, makeRotatedClip, makeVfrClip, vfrPts } from '../../scripts/fixtures/make-videos';
import { leftRightBrightness, probeFrames, streamsOf, tempDir } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('generated');
});
afterAll(() => tmp?.cleanup());

describe('variable frame rate clip', { timeout: 120_000 }, () => {
  it('records each frame time exactly, and the playable copy keeps them', async () => {
    const clip = await makeVfrClip(tmp.dir, 45);
    const info = await probeVideo(clip);
    expect(info.frameCount).toBe(45);
    expect(info.variableFrameRate).toBe(true);
    expect(info.fps).toBeCloseTo(44 / vfrPts(44), 9);

    const index = await extractFrames(clip, path.join(tmp.dir, 'vfr-frames'), { info });
    expect(await readdir(path.join(tmp.dir, 'vfr-frames'))).toHaveLength(45);
    expect(index.pts).toHaveLength(45);
    index.pts.forEach((t, i) => expect(t, `frame ${i}`).toBeCloseTo(vfrPts(i), 9));

    const out = path.join(tmp.dir, 'vfr-playable.mp4');
    await makePlayable(clip, out, { info });
    const frames = await probeFrames(out);
    expect(frames.pts).toHaveLength(45);
    frames.pts.forEach((t, i) => expect(t, `frame ${i}`).toBeCloseTo(vfrPts(i), 9));
  });

  it('a constant-rate clip is not called variable', async () => {
    const info = await probeVideo(await makeCfrClip(tmp.dir, { name: 'cfr25.mp4', fps: 25, seconds: 2 }));
    expect(info).toMatchObject({ frameCount: 50, fps: 25, variableFrameRate: false, browserPlayable: true });
  });
});

describe('phone portrait clip (display matrix 90 degrees)', { timeout: 120_000 }, () => {
  it('reports the display size, writes upright JPGs and bakes the rotation into the playable copy', async () => {
    const clip = await makeRotatedClip(tmp.dir, 15);
    const info = await probeVideo(clip);
    expect(info).toMatchObject({ rotation: 90, width: 240, height: 320, codedWidth: 320, codedHeight: 240, frameCount: 15 });

    // the source's top half is white: turned 90 degrees clockwise it is the right half
    const coded = await leftRightBrightness(path.join(tmp.dir, 'rotated-src.mp4'), 320, 240);
    expect(Math.abs(coded.left - coded.right)).toBeLessThan(5); // not yet turned: both halves half white

    const index = await extractFrames(clip, path.join(tmp.dir, 'rot-frames'), { info });
    expect(index).toMatchObject({ width: 240, height: 320, frameCount: 15 });
    const jpg = path.join(tmp.dir, 'rot-frames', '000000.jpg');
    expect((await streamsOf(jpg))[0]).toMatchObject({ width: 240, height: 320 });
    const upright = await leftRightBrightness(jpg, 240, 320);
    expect(upright.right).toBeGreaterThan(240);
    expect(upright.left).toBeLessThan(15);

    const out = path.join(tmp.dir, 'rot-playable.mp4');
    await makePlayable(clip, out, { info });
    const v = (await streamsOf(out)).find((s) => s.codec_type === 'video')!;
    expect(v).toMatchObject({ width: 240, height: 320 });
    expect(v.side_data_list?.find((d) => d.rotation)?.rotation ?? 0).toBe(0); // no rotation left for the player
    const played = await leftRightBrightness(out, 240, 320);
    expect(played.right).toBeGreaterThan(240);
    expect(played.left).toBeLessThan(15);
  });
});

describe('browser playability', { timeout: 120_000 }, () => {
  it('H.264 4:4:4 (browsers do not play it), H.264 in Matroska, MP3 audio: not browser playable', async () => {
    const yuv444 = path.join(tmp.dir, 'h264-444.mp4');
    await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30', '-t', '0.3', '-pix_fmt', 'yuv444p', '-c:v', 'libx264', '-preset', 'ultrafast', yuv444]);
    expect(await probeVideo(yuv444)).toMatchObject({ codec: 'h264', pixFmt: 'yuv444p', browserPlayable: false });
    const mkv = path.join(tmp.dir, 'h264.mkv');
    await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30', '-t', '0.3', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', mkv]);
    expect(await probeVideo(mkv)).toMatchObject({ codec: 'h264', browserPlayable: false, variableFrameRate: false, frameCount: 9 });
    const withMp3 = path.join(tmp.dir, 'h264-mp3.mp4');
    await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30', '-f', 'lavfi', '-i', 'sine', '-t', '0.3', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'libmp3lame', withMp3]);
    expect(await probeVideo(withMp3)).toMatchObject({ codec: 'h264', browserPlayable: false });
  });
});

describe('odd picture size', { timeout: 120_000 }, () => {
  it('extracts at the true size; the playable copy pads to even with the pixels in place', async () => {
    // MPEG-4 part 2 in MP4 allows odd sizes (x264 with 4:2:0 does not) and is not browser playable
    const clip = path.join(tmp.dir, 'odd.mp4');
    await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=321x241:r=30', '-t', '0.5', '-c:v', 'mpeg4', clip]);
    const info = await probeVideo(clip);
    expect(info).toMatchObject({ width: 321, height: 241, codec: 'mpeg4', browserPlayable: false, frameCount: 15 });
    const index = await extractFrames(clip, path.join(tmp.dir, 'odd-frames'), { info });
    expect(index).toMatchObject({ width: 321, height: 241, frameCount: 15 });
    const out = path.join(tmp.dir, 'odd-playable.mp4');
    await makePlayable(clip, out, { info });
    expect((await streamsOf(out)).find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 322, height: 242 });
    expect((await probeFrames(out)).pts).toHaveLength(15);
  });
});
