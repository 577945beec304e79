import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { runFfmpeg, VideoToolError } from './ffmpeg';
import { probeVideo } from './probe';

/**
 * A small JPG preview (default 320 px wide, never upscaled) from a video file or from an extracted
 * frames folder. It shows the frame a third of the way in: the first frame is often black or a
 * camera still settling.
 */
export async function makeThumbnail(
  source: string,
  outJpg: string,
  options: { width?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  const width = options.width ?? 320;
  const scale = `scale='min(${width},iw)':-2`;
  const tmp = `${outJpg}.part.jpg`;
  const encode = (input: string[]) =>
    runFfmpeg([...input, '-vf', scale, '-frames:v', '1', '-q:v', '4', '-f', 'image2', '-update', '1', '-y', tmp], {
      signal,
      what: 'thumbnail',
    });
  try {
    if ((await stat(source)).isDirectory()) {
      const frames = (await readdir(source)).filter((f) => /^\d{6,}\.jpg$/.test(f)).sort();
      if (frames.length === 0) throw new VideoToolError(`no frames in ${source} to make a thumbnail from`);
      await encode(['-i', path.join(source, frames[Math.floor(frames.length / 3)]!)]);
    } else {
      const info = await probeVideo(source, { signal, countFrames: false });
      const at = info.duration > 0 ? info.duration / 3 : 0;
      await encode(['-ss', at.toFixed(3), '-i', source]);
      // a seek past the last decodable frame (wrong container duration) writes nothing: take the start
      if (!(await exists(tmp))) await encode(['-i', source]);
    }
    if (!(await exists(tmp))) throw new VideoToolError(`could not make a thumbnail of ${source}: no frame decoded`);
    await rename(tmp, outJpg);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.size > 0,
    () => false,
  );
}
