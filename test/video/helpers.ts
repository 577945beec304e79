/**
 * Independent checks for the video tests: they ask ffprobe/ffmpeg directly (not lib/video) what a file
 * holds, so a bug in lib/video cannot agree with itself.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const SAMPLE = path.resolve(import.meta.dirname, '../../../shared/samples/video/two_people_jump.mp4');

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `video-test-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface FrameFacts {
  pts: number[]; // seconds relative to the first frame, from integer ticks
  keyFrames: number[]; // indexes of key frames
}

/** Every decoded frame of the first video stream, in presentation order (ffprobe -show_frames). */
export async function probeFrames(file: string): Promise<FrameFacts> {
  const { stdout } = await execa('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0',
    '-show_entries', 'stream=time_base:frame=best_effort_timestamp,key_frame', '-of', 'json', file,
  ]);
  const out = JSON.parse(stdout) as {
    streams: { time_base: string }[];
    frames: { best_effort_timestamp: number; key_frame: number }[];
  };
  const [num, den] = out.streams[0]!.time_base.split('/').map(Number) as [number, number];
  const first = out.frames[0]!.best_effort_timestamp;
  return {
    pts: out.frames.map((f) => ((f.best_effort_timestamp - first) * num) / den),
    keyFrames: out.frames.flatMap((f, i) => (f.key_frame ? [i] : [])),
  };
}

export async function streamsOf(file: string) {
  const { stdout } = await execa('ffprobe', [
    '-v', 'error', '-show_entries', 'stream=codec_type,codec_name,pix_fmt,width,height:stream_side_data=rotation',
    '-of', 'json', file,
  ]);
  return (JSON.parse(stdout) as {
    streams: { codec_type: string; codec_name: string; pix_fmt?: string; width?: number; height?: number; side_data_list?: { rotation?: number }[] }[];
  }).streams;
}

/**
 * Mean brightness of the left and right halves of a picture (first frame of a video, or a JPG) as
 * stored, with ffmpeg's autorotate off: it checks the pixels themselves, not what a player would do.
 */
export async function leftRightBrightness(file: string, width: number, height: number) {
  const { stdout } = await execa(
    'ffmpeg',
    ['-v', 'error', '-noautorotate', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    { encoding: 'buffer' },
  );
  const px = stdout as Uint8Array;
  if (px.length !== width * height) throw new Error(`expected ${width}x${height} gray pixels, got ${px.length} bytes`);
  let left = 0;
  let right = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x < width / 2) left += px[y * width + x]!;
      else right += px[y * width + x]!;
    }
  }
  const half = (width / 2) * height;
  return { left: left / half, right: right / half };
}

/** Top-level MP4 box types in file order (to check that moov comes before mdat: +faststart). */
export async function topLevelBoxes(file: string): Promise<string[]> {
  const buf = await readFile(file);
  const boxes: string[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    let size = buf.readUInt32BE(at);
    const type = buf.subarray(at + 4, at + 8).toString('latin1');
    if (size === 1) size = Number(buf.readBigUInt64BE(at + 8));
    if (size === 0) size = buf.length - at;
    boxes.push(type);
    at += size;
  }
  return boxes;
}

/** ffmpeg processes whose command line mentions `needle` (to prove none is left running). */
export async function ffmpegProcessesMentioning(needle: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'latin1')).split('\0');
      if (path.basename(cmd[0] ?? '') === 'ffmpeg' && cmd.some((a) => a.includes(needle))) pids.push(Number(entry));
    } catch {
      // process ended while we looked
    }
  }
  return pids;
}
