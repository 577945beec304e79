import { rename, rm } from 'node:fs/promises';
import { runFfmpeg } from './ffmpeg';
import { probeVideo } from './probe';
import type { VideoInfo } from './types';

export { makeThumbnail } from './thumbnail';

export interface PlayableOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /** probeVideo's result for `file`, when the caller already has it */
  info?: VideoInfo;
  /** x264 preset; veryfast is the default trade-off (see bench/video.bench.ts) */
  preset?: string;
  /** lower CPU priority (nice value) for ffmpeg, when it runs next to more urgent work */
  niceness?: number;
}

/**
 * Writes a copy every browser plays: H.264 High yuv420p + AAC in MP4 with the index first
 * (+faststart), a keyframe every ~1/3 s so scrubbing lands quickly, the rotation baked into the
 * pixels, and the SAME frames at the SAME times as the extracted JPGs (frames.json), so the player
 * can map frame <-> time with frames.json alone:
 * - `-fps_mode passthrough`: every decoded frame is encoded once, none dropped or duplicated;
 * - `-enc_time_base -1`: the encoder keeps the source stream's time base. Without it ffmpeg 5.1 uses
 *   1/frame_rate and rounds variable-rate (phone) timestamps to a 1/30 s grid.
 * Odd sizes get one black column/row of padding at the right/bottom (x264 needs even sizes for 4:2:0);
 * the pixels keep their coordinates. Written to a temp file and renamed: outMp4 is whole or absent.
 */
export async function makePlayable(file: string, outMp4: string, options: PlayableOptions = {}): Promise<void> {
  const { signal, onProgress } = options;
  const info = options.info ?? (await probeVideo(file, { signal }));
  const total = info.frameCount;
  const gop = Math.max(1, Math.round((info.fps || 30) / 3));
  const tmp = `${outMp4}.part.mp4`;
  try {
    await runFfmpeg(
      [
        '-i', file,
        '-map', '0:v:0', '-map', '0:a:0?', '-sn', '-dn', '-map_metadata', '-1',
        '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',
        '-fps_mode', 'passthrough', '-enc_time_base:v', '-1',
        '-c:v', 'libx264', '-preset', options.preset ?? 'veryfast', '-crf', '20',
        '-pix_fmt', 'yuv420p', '-profile:v', 'high',
        '-g', String(gop), '-keyint_min', String(gop),
        '-c:a', 'aac', '-b:a', '128k',
        '-movflags', '+faststart',
        '-f', 'mp4', '-y', tmp,
      ],
      { signal, what: 'transcoding to a playable MP4', niceness: options.niceness, onFrame: (done) => onProgress?.(Math.min(done, total), total) },
    );
    await rename(tmp, outMp4);
    onProgress?.(total, total);
  } finally {
    await rm(tmp, { force: true });
  }
}
