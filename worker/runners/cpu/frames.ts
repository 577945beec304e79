import { spawn } from 'node:child_process';
import path from 'node:path';

/** One decoded frame: packed RGB, `width * height * 3` bytes, at the working resolution. */
export interface RgbFrame {
  index: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export interface RawFrameOptions {
  framesDir: string;
  /** first frame to read (file 000000.jpg is frame 0) */
  start?: number;
  /** how many frames to read */
  count: number;
  width: number;
  height: number;
  signal?: AbortSignal;
  /** size of the JPGs, when known: lets the decoder downscale cheaply */
  sourceWidth?: number;
  sourceHeight?: number;
}

/** Largest k in 0..2 such that the JPG decoded at 1/2^k is still at least the target size. */
export function lowresFactor(srcW: number, srcH: number, w: number, h: number): number {
  let k = 0;
  while (k < 2 && Math.floor(srcW / 2 ** (k + 1)) >= w && Math.floor(srcH / 2 ** (k + 1)) >= h) k++;
  return k;
}

/** Working resolution: the frame scaled so its longer side is at most `maxSide` (even sizes for ffmpeg). */
export function workingSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  const even = (v: number) => Math.max(2, 2 * Math.round((v * s) / 2));
  return { width: even(width), height: even(height) };
}

/**
 * Decodes the extracted JPG sequence with ONE ffmpeg process (image2 demuxer) that scales to the working
 * resolution and pipes raw RGB: decoding JPGs in JS would cost more than the pose model itself, and
 * ffmpeg decodes on the other core while the model runs. Aborting the signal kills ffmpeg at once.
 */
export async function* readRgbFrames(opts: RawFrameOptions): AsyncGenerator<RgbFrame> {
  const { framesDir, count, width, height, signal } = opts;
  const start = opts.start ?? 0;
  if (count <= 0) return;
  const lowres = opts.sourceWidth && opts.sourceHeight ? lowresFactor(opts.sourceWidth, opts.sourceHeight, width, height) : 0;
  const args = [
    '-hide_banner', '-nostdin', '-v', 'error',
    // -lowres: the JPEG decoder itself scales by 1/2 or 1/4 (cheaper IDCT) when the target allows it
    ...(lowres > 0 ? ['-lowres', String(lowres)] : []),
    '-f', 'image2', '-start_number', String(start), '-i', path.join(framesDir, '%06d.jpg'),
    '-frames:v', String(count),
    '-vf', `scale=${width}:${height}:flags=bilinear`,
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  const child = spawn(process.env.FFMPEG_BIN || 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { stderr = (stderr + s).slice(-4000); });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', (err) => { stderr += String(err); resolve(-1); });
  });

  const frameBytes = width * height * 3;
  let buf = new Uint8Array(frameBytes);
  let filled = 0;
  let index = start;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          yield { index: index++, width, height, data: buf };
          // a fresh buffer per frame: the consumer may still hold the previous one
          buf = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    const code = await exited;
    if (signal?.aborted) return;
    if (code !== 0 || index - start < count) {
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      throw new Error(`ffmpeg decoded ${index - start} of ${count} frames from ${framesDir} (exit ${code})${tail ? `: ${tail}` : ''}`);
    }
  } finally {
    signal?.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) kill();
  }
}
