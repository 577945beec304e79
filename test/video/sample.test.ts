/** The real sample clip (../shared/samples/video/two_people_jump.mp4): VP9 in MP4, 230 frames at 30 fps. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameFileName } from '../../lib/storage/layout';
import { extractFrames, readFrameIndex, writeFrameIndex } from '../../lib/video/extract';
import { makePlayable, makeThumbnail } from '../../lib/video/playable';
import { probeVideo } from '../../lib/video/probe';
import type { FrameIndex, VideoInfo } from '../../lib/video/types';
import { probeFrames, SAMPLE, streamsOf, tempDir, topLevelBoxes } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let info: VideoInfo;
let index: FrameIndex;
const progress: [number, number][] = [];

beforeAll(async () => {
  tmp = await tempDir('sample');
  info = await probeVideo(SAMPLE);
  index = await extractFrames(SAMPLE, path.join(tmp.dir, 'frames'), { info, onProgress: (d, t) => progress.push([d, t]) });
}, 240_000); // the 2 shared cores are busy with other engineers' work: generous limits, speed is in bench/
afterAll(() => tmp?.cleanup());

describe('two_people_jump.mp4', { timeout: 240_000 }, () => {
  it('has exact metadata', () => {
    expect(info).toMatchObject({
      frameCount: 230,
      fps: 30,
      width: 1768,
      height: 994,
      rotation: 0,
      codec: 'vp9',
      pixFmt: 'yuv420p',
      variableFrameRate: false,
      browserPlayable: false,
    });
    expect(info.duration).toBeCloseTo(230 / 30, 5);
    expect(info.container).toContain('mp4');
    expect(info.estimated).toBeUndefined();
  });

  it('extracts 230 JPGs named 000000.jpg.. with pts = i/30', async () => {
    const files = (await readdir(path.join(tmp.dir, 'frames'))).sort();
    expect(files).toHaveLength(230);
    expect(files[0]).toBe('000000.jpg');
    expect(files[229]).toBe(frameFileName(229));
    expect(index.frameCount).toBe(230);
    expect(index.pts).toHaveLength(230);
    index.pts.forEach((t, i) => expect(t).toBeCloseTo(i / 30, 9));
    expect(index).toMatchObject({ width: 1768, height: 994, fps: 30, startTime: 0 });
    const [jpg] = await streamsOf(path.join(tmp.dir, 'frames', '000229.jpg'));
    expect(jpg).toMatchObject({ codec_name: 'mjpeg', width: 1768, height: 994 });
  });

  it('reports progress up to 230 of 230, never going back', () => {
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every(([, t]) => t === 230)).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
    expect(progress.at(-1)).toEqual([230, 230]);
  });

  it('writes and reads frames.json', async () => {
    const file = path.join(tmp.dir, 'frames.json');
    await writeFrameIndex(file, index);
    expect(await readFrameIndex(file)).toEqual(index);
    await expect(writeFrameIndex(file, { ...index, pts: index.pts.slice(1) })).rejects.toThrow(/pts has 229 entries for 230 frames/);
  });

  it('makes an H.264 faststart copy with the same 230 frames at the same times, keyframe every 10', async () => {
    const out = path.join(tmp.dir, 'playable.mp4');
    await makePlayable(SAMPLE, out, { info });
    const streams = await streamsOf(out);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 1768, height: 994 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    const frames = await probeFrames(out);
    expect(frames.pts).toHaveLength(230);
    frames.pts.forEach((t, i) => expect(t).toBeCloseTo(index.pts[i]!, 9));
    const gaps = frames.keyFrames.slice(1).map((k, i) => k - frames.keyFrames[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10);
    const boxes = await topLevelBoxes(out);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const again = await probeVideo(out);
    expect(again).toMatchObject({ browserPlayable: true, frameCount: 230, fps: 30 });
  });

  it('makes a 320 px thumbnail from the video and from the frames folder', async () => {
    for (const source of [SAMPLE, path.join(tmp.dir, 'frames')]) {
      const out = path.join(tmp.dir, 'thumb.jpg');
      await makeThumbnail(source, out);
      const [s] = await streamsOf(out);
      expect(s).toMatchObject({ codec_name: 'mjpeg', width: 320, height: 180 });
    }
  });
});
