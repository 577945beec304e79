/**
 * The MP4 export's ffmpeg run: the clip's playable copy with the overlay script (lib/export/mp4-overlay.ts)
 * burned in, with exactly the playable copy's frames and timestamps.
 *
 *   [0:v] trim (the range, by frame number), pad odd sizes to even ones as the playable copy does
 *         settb=1/1000, setpts=N*100          frame i at i × 100 ms: the script's clock (mp4-overlay.ts)
 *         ass=<script>                         libass draws the overlay (one script per run of frames)
 *         settb=<stream time base>, setpts=<table: i -> the playable copy's pts of frame from+i>
 *   -fps_mode passthrough -enc_time_base <tb>  every frame encoded once, at that exact pts (the time base
 *                                             named: with an audio filter in the graph, -1 falls back to 1/fps)
 *
 * The table is an expression (a balanced tree of if(lt(N,k),...,...), depth log2(frames)) in a filter
 * script file, so clips of any length fit. Audio: copied as it is for the whole clip, cut to the range
 * (atrim, AAC) otherwise. Output: H.264 High yuv420p, CRF 20, keyframe every ~1/3 s and +faststart, as
 * the playable copy (lib/video/playable.ts). Written to a temp file and renamed: `out` is whole or absent.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { ffprobeJson, runFfmpeg, VideoToolError } from '../video/ffmpeg';
import { SCRIPT_MS_PER_FRAME } from './mp4-overlay';

export interface VideoTimeline {
  /** the video stream's time base */
  timeBase: [number, number];
  /** presentation timestamps of the decoded frames in order, in `timeBase` units */
  pts: number[];
  hasAudio: boolean;
  /** coded picture size */
  width: number;
  height: number;
}

interface ProbePackets {
  streams?: { index: number; codec_type?: string; time_base?: string; width?: number; height?: number }[];
  packets?: { pts?: number; flags?: string }[];
  frames?: { pts?: number; best_effort_timestamp?: number }[];
}

/**
 * The frames' exact timestamps of a video file. From its packets (no decoding); when their count is not
 * `expectedFrames` (packets the decoder drops, odd files), from the decoded frames themselves.
 */
export async function probeTimeline(file: string, expectedFrames: number, signal?: AbortSignal): Promise<VideoTimeline> {
  const info = await ffprobeJson<ProbePackets>(['-show_entries', 'stream=index,codec_type,time_base,width,height', file], signal);
  const video = info.streams?.find((s) => s.codec_type === 'video');
  if (!video?.time_base) throw new VideoToolError(`no video stream in ${file}`);
  const [num, den] = video.time_base.split('/').map(Number);
  if (!(num > 0 && den > 0)) throw new VideoToolError(`video stream of ${file} has no usable time base (${video.time_base})`);
  const hasAudio = !!info.streams?.some((s) => s.codec_type === 'audio');
  const packets = await ffprobeJson<ProbePackets>(['-select_streams', 'v:0', '-show_entries', 'packet=pts,flags', file], signal);
  let pts = (packets.packets ?? []).filter((p) => typeof p.pts === 'number' && !(p.flags ?? '').includes('D')).map((p) => p.pts!);
  if (pts.length !== expectedFrames) {
    const frames = await ffprobeJson<ProbePackets>(['-select_streams', 'v:0', '-show_entries', 'frame=pts,best_effort_timestamp', file], signal);
    pts = (frames.frames ?? []).map((f) => f.pts ?? f.best_effort_timestamp).filter((v): v is number => typeof v === 'number');
  }
  pts.sort((a, b) => a - b);
  if (pts.length !== expectedFrames) {
    throw new VideoToolError(`the playable copy has ${pts.length} frames, the clip's results ${expectedFrames}: run the clip again`);
  }
  return { timeBase: [num, den], pts, hasAudio, width: video.width ?? 0, height: video.height ?? 0 };
}

/** An ffmpeg expression of N (0-based frame) giving values[N], as a balanced tree of comparisons. */
export function tableExpression(values: readonly number[]): string {
  if (values.length === 0) throw new Error('tableExpression: no values');
  // commas escaped for the filtergraph parser; built iteratively-recursive over halves (depth log2 n)
  const build = (lo: number, hi: number): string => {
    if (lo === hi) return String(values[lo]);
    const mid = (lo + hi + 1) >> 1;
    return `if(lt(N\\,${mid})\\,${build(lo, mid - 1)}\\,${build(mid, hi)})`;
  };
  return build(0, values.length - 1);
}

/** A path inside a filter script, quoted (paths with quotes or backslashes are refused). */
function filterPath(p: string): string {
  if (/['\\\n]/.test(p)) throw new Error(`path not usable in an ffmpeg filter script: ${p}`);
  return `'${p}'`;
}

export interface RenderOptions {
  /** the playable copy, a local file */
  video: string;
  timeline: VideoTimeline;
  /**
   * the ASS overlay scripts (mp4-overlay.ts), local files: script k holds output frames
   * k × framesPerScript .. (k + 1) × framesPerScript − 1
   */
  scripts: string[];
  framesPerScript: number;
  /** inclusive frame range */
  from: number;
  to: number;
  /** frames per second of the clip (keyframe interval) */
  fps: number;
  /** the filter script is written here */
  graphFile: string;
  out: string;
  /** x264 preset (default veryfast, as the playable copy) */
  preset?: string;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

export async function renderOverlayVideo(o: RenderOptions): Promise<void> {
  const { pts, timeBase, hasAudio, width, height } = o.timeline;
  const n = pts.length;
  if (!(o.from >= 0 && o.to < n && o.from <= o.to)) throw new Error(`frame range ${o.from}..${o.to} is outside the video's ${n} frames`);
  const count = o.to - o.from + 1;
  const whole = o.from === 0 && o.to === n - 1;
  const out = pts.slice(o.from, o.to + 1).map((p) => p - pts[o.from] + pts[0]);
  const tb = `${timeBase[0]}/${timeBase[1]}`;
  const seconds = (p: number) => ((p - pts[0]) * timeBase[0]) / timeBase[1];
  const pad = width % 2 || height % 2 ? 'pad=ceil(iw/2)*2:ceil(ih/2)*2,' : '';
  // libass looks at every event of its script for every frame: one script for a long clip would make the
  // render quadratic in its length. So each run of framesPerScript frames goes through its own `ass`
  // (split, trim to the run, ass, concat back in order): a frame meets only its run's events.
  const K = o.scripts.length;
  if (K !== Math.ceil(count / o.framesPerScript)) throw new Error(`${K} overlay scripts for ${count} frames of ${o.framesPerScript}`);
  const head = `[0:v:0]trim=start_frame=${o.from}:end_frame=${o.to + 1},${pad}settb=1/1000,setpts=N*${SCRIPT_MS_PER_FRAME}`;
  const tail = `settb=${tb},setpts='${tableExpression(out)}'[v]`;
  const graph =
    K === 1
      ? [`${head},ass=filename=${filterPath(o.scripts[0])},${tail}`]
      : [
          `${head},split=${K}${o.scripts.map((_, k) => `[s${k}]`).join('')}`,
          ...o.scripts.map((script, k) => `[s${k}]trim=start_frame=${k * o.framesPerScript}:end_frame=${(k + 1) * o.framesPerScript},ass=filename=${filterPath(script)}[c${k}]`),
          `${o.scripts.map((_, k) => `[c${k}]`).join('')}concat=n=${K}:v=1:a=0,${tail}`,
        ];
  if (hasAudio && !whole) {
    const end = o.to + 1 < n ? `:end=${seconds(pts[o.to + 1]).toFixed(6)}` : '';
    graph.push(`[0:a:0]atrim=start=${seconds(pts[o.from]).toFixed(6)}${end},asetpts=PTS-STARTPTS[a]`);
  }
  await writeFile(o.graphFile, graph.join(';\n'));
  const gop = Math.max(1, Math.round((o.fps || 30) / 3));
  const tmp = `${o.out}.part.mp4`;
  const audio = !hasAudio ? ['-an'] : whole ? ['-map', '0:a:0', '-c:a', 'copy'] : ['-map', '[a]', '-c:a', 'aac', '-b:a', '128k'];
  try {
    await runFfmpeg(
      [
        '-i', o.video,
        '-filter_complex_script', o.graphFile,
        '-map', '[v]', ...audio, '-sn', '-dn', '-map_metadata', '-1',
        '-fps_mode', 'passthrough', '-enc_time_base:v', tb,
        '-c:v', 'libx264', '-preset', o.preset ?? 'veryfast', '-crf', '20',
        '-pix_fmt', 'yuv420p', '-profile:v', 'high',
        '-g', String(gop), '-keyint_min', String(gop),
        '-movflags', '+faststart',
        '-f', 'mp4', '-y', tmp,
      ],
      { signal: o.signal, what: 'rendering the overlay video', onFrame: (done) => o.onProgress?.(Math.min(done, count), count) },
    );
    await rename(tmp, o.out);
    o.onProgress?.(count, count);
  } finally {
    await rm(tmp, { force: true });
  }
}
