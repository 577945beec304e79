import { stat } from 'node:fs/promises';
import { abortError, FFMPEG, ffprobeJson, lastLines, parseRational, runTool, VideoToolError } from './ffmpeg';
import { describeNonVideo } from './sniff';
import type { FrameIndex, VideoInfo } from './types';

/** The parts of ffprobe's JSON we read. */
interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  duration?: string;
  nb_frames?: string;
  /** with -count_packets: the packets actually in the file */
  nb_read_packets?: string;
  nb_read_frames?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}
interface ProbeFormat {
  format_name?: string;
  duration?: string;
  tags?: { major_brand?: string };
}
interface ProbeOutput {
  streams?: ProbeStream[];
  format?: ProbeFormat;
  packets?: { pts?: number }[];
}

const STREAM_FIELDS =
  'index,codec_type,codec_name,profile,pix_fmt,width,height,coded_width,coded_height,' +
  'r_frame_rate,avg_frame_rate,time_base,duration,nb_frames';

/**
 * Everything ffprobe knows without decoding (fast on any size). `countPackets`: also demux every packet
 * and say how many each stream has (about a second per GB), to compare with what the index promises.
 */
async function probeContainer(file: string, signal?: AbortSignal, timeoutMs?: number, countPackets = false): Promise<ProbeOutput> {
  return ffprobeJson<ProbeOutput>(
    [
      ...(countPackets ? ['-count_packets'] : []),
      '-show_entries',
      `stream=${STREAM_FIELDS}${countPackets ? ',nb_read_packets' : ''}:stream_disposition=attached_pic:stream_tags=rotate:stream_side_data=rotation` +
        ':format=format_name,duration:format_tags=major_brand',
      file,
    ],
    signal,
    timeoutMs,
  );
}

/**
 * Decodes the whole first video stream once: the exact frame count (`-count_frames`) and, in the same
 * pass, every packet's pts (no extra cost) to detect variable frame rate. Packets sorted by pts are the
 * frames in presentation order.
 */
async function countFrames(file: string, signal?: AbortSignal): Promise<{ frames: number; pts: number[] }> {
  const out = await ffprobeJson<ProbeOutput>(
    ['-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames:packet=pts', file],
    signal,
  );
  const frames = Number(out.streams?.[0]?.nb_read_frames);
  if (!Number.isFinite(frames)) throw new VideoToolError(`ffprobe could not count the frames of ${file}`);
  const pts = (out.packets ?? []).map((p) => p.pts).filter((p): p is number => typeof p === 'number');
  pts.sort((a, b) => a - b);
  return { frames, pts };
}

/** Clockwise degrees the player must turn the picture, 0/90/180/270 (what ffmpeg's autorotate applies). */
export function rotationOf(stream: ProbeStream): number {
  const matrix = stream.side_data_list?.find((s) => typeof s.rotation === 'number');
  // ffprobe prints the display matrix angle counter-clockwise; the old `rotate` tag is clockwise
  const cw = matrix ? -Number(matrix.rotation) : Number(stream.tags?.rotate ?? 0);
  const snapped = Math.round((Number.isFinite(cw) ? cw : 0) / 90) * 90;
  return ((snapped % 360) + 360) % 360;
}

/** The first real video stream (cover art in music files is a "video" stream with attached_pic). */
export function firstVideoStream(streams: ProbeStream[] | undefined): ProbeStream | undefined {
  return streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
}

const MOV_FAMILY = /(^|,)(mov|mp4)(,|$)/;
/** ISO/QuickTime brands that are 3GPP or Motion JPEG 2000, not what browsers expect from .mp4/.mov */
const NON_MP4_BRANDS = /^(3g|mj2|mjp2)/i;

/**
 * Chrome and Safari both play it as is: H.264 8-bit 4:2:0 in MP4/MOV, audio AAC or none. VP9, AV1,
 * HEVC (Chrome on Linux has no HEVC), MPEG-4 part 2 and anything outside MP4/MOV get a transcoded copy.
 * yuvj420p is the same 8-bit 4:2:0 with full-range flag, which phones write and both browsers play.
 */
export function isBrowserPlayable(probe: ProbeOutput, video: ProbeStream): boolean {
  const format = probe.format?.format_name ?? '';
  if (!MOV_FAMILY.test(format)) return false;
  if (NON_MP4_BRANDS.test(probe.format?.tags?.major_brand ?? '')) return false;
  if (video.codec_name !== 'h264') return false;
  if (video.pix_fmt !== 'yuv420p' && video.pix_fmt !== 'yuvj420p') return false;
  const audio = (probe.streams ?? []).filter((s) => s.codec_type === 'audio');
  return audio.every((a) => a.codec_name === 'aac');
}

/**
 * Frame intervals (in stream time-base ticks) that differ from the median by more than one tick of
 * rounding and 0.5 % mean the timing is variable (phone clips); container rounding (33/34 ms in
 * Matroska's 1/1000 time base) does not count.
 */
function timingOf(ptsTicks: number[], timeBase: number) {
  const intervals: number[] = [];
  for (let i = 1; i < ptsTicks.length; i++) intervals.push(ptsTicks[i]! - ptsTicks[i - 1]!);
  if (intervals.length === 0) return { variable: false, medianInterval: 0, span: 0 };
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const tolerance = Math.max(1, median * 0.005);
  const variable = sorted[0]! < median - tolerance || sorted[sorted.length - 1]! > median + tolerance;
  return {
    variable,
    medianInterval: median * timeBase,
    span: (ptsTicks[ptsTicks.length - 1]! - ptsTicks[0]!) * timeBase,
  };
}

export interface ProbeOptions {
  signal?: AbortSignal;
  /**
   * false: no decoding (fast on any size); frameCount, fps and variableFrameRate are the container's
   * figures and `estimated` is set. 'packets': no decoding either, but every packet of the video
   * stream is read (fast): frameCount = packets, and the packets' times give the timing exactly as
   * the decoding probe does; equal to it whenever each packet decodes to one frame (check against the
   * extraction, which decodes). Default true: frames counted by decoding.
   */
  countFrames?: boolean | 'packets';
}

/** Every packet's pts of the first video stream, without decoding (demuxing only), sorted. */
async function packetTimes(file: string, signal?: AbortSignal): Promise<{ frames: number; pts: number[] }> {
  const out = await ffprobeJson<ProbeOutput>(['-select_streams', 'v:0', '-show_entries', 'packet=pts', file], signal);
  const packets = out.packets ?? [];
  const pts = packets.map((p) => p.pts).filter((p): p is number => typeof p === 'number');
  pts.sort((a, b) => a - b);
  return { frames: packets.length, pts };
}

/**
 * Exact metadata of a video (frames counted by decoding the first video stream). Throws
 * VideoToolError when ffprobe cannot read the file or it has no video stream; use validateVideo for
 * a verdict a user can read.
 */
export async function probeVideo(file: string, options: ProbeOptions = {}): Promise<VideoInfo> {
  const { signal } = options;
  const mode = options.countFrames ?? true;
  const [probe, counted] = await Promise.all([
    probeContainer(file, signal),
    mode === 'packets' ? packetTimes(file, signal) : mode ? countFrames(file, signal) : Promise.resolve(null),
  ]);
  const video = firstVideoStream(probe.streams);
  if (!video) throw new VideoToolError(`${file} has no video stream`);
  return infoFrom(probe, video, counted);
}

/**
 * The video's metadata and a frame index, from reading its packets (no decoding; fast): frame count =
 * video packets, each frame's time = the packets' times in order (as extraction computes them from the
 * decoded frames). Exact whenever each packet decodes to one frame with the packet's time, which
 * extraction (it decodes) confirms or refutes: compare its index with this one (sameFrameIndex).
 */
export async function probePackets(file: string, options: { signal?: AbortSignal } = {}): Promise<{ info: VideoInfo; index: FrameIndex }> {
  const [probe, counted] = await Promise.all([probeContainer(file, options.signal), packetTimes(file, options.signal)]);
  const video = firstVideoStream(probe.streams);
  if (!video) throw new VideoToolError(`${file} has no video stream`);
  const info = infoFrom(probe, video, counted);
  const [num, den] = (video.time_base ?? '1/1').split('/').map(Number) as [number, number];
  const first = counted.pts[0] ?? 0;
  const exactTimes = counted.pts.length === counted.frames; // a packet without a time: extraction decides
  return {
    info,
    index: {
      frameCount: counted.frames,
      width: info.width,
      height: info.height,
      fps: info.fps,
      // the same arithmetic as extraction's (ticks relative to frame 0, times the time base)
      pts: exactTimes ? counted.pts.map((t) => ((t - first) * num) / den) : Array.from({ length: counted.frames }, (_, i) => (info.fps > 0 ? i / info.fps : 0)),
      startTime: (first * num) / den,
    },
  };
}

/** true when two frame indexes have the same frames at the same times (what the player and the frames depend on). */
export function sameFrameIndex(a: FrameIndex, b: FrameIndex): boolean {
  return a.frameCount === b.frameCount && a.pts.length === b.pts.length && a.pts.every((t, i) => t === b.pts[i]);
}

/** VideoInfo from ffprobe's container view plus, when given, the decoded frame count and packet times. */
function infoFrom(probe: ProbeOutput, video: ProbeStream, counted: { frames: number; pts: number[] } | null): VideoInfo {
  const rotation = rotationOf(video);
  const codedWidth = video.width ?? 0;
  const codedHeight = video.height ?? 0;
  const quarterTurn = rotation === 90 || rotation === 270;
  const timeBase = parseRational(video.time_base);
  const rFrameRate = video.r_frame_rate ?? '0/0';
  const avgFrameRate = video.avg_frame_rate ?? '0/0';
  const r = parseRational(rFrameRate);
  const avg = parseRational(avgFrameRate);
  const containerDuration = Number(video.duration ?? probe.format?.duration);

  let frameCount: number;
  let fps: number;
  let variableFrameRate: boolean;
  let duration: number;
  if (counted) {
    frameCount = counted.frames;
    const timing = timingOf(counted.pts, timeBase);
    variableFrameRate = timing.variable;
    const rMatches = r > 0 && timing.medianInterval > 0 && Math.abs(1 / r - timing.medianInterval) * r < 0.005;
    if (!variableFrameRate && rMatches) fps = r; // exact for constant rate: 30, 30000/1001, ...
    else if (timing.span > 0 && frameCount > 1) fps = (frameCount - 1) / timing.span;
    else fps = avg || r;
    // the container's duration, unless the frames that really decode end well before it (a file cut
    // off after its index, e.g. a faststart MP4 truncated in transfer): then what is really there
    const decodedDuration = timing.span + (timing.medianInterval || (fps > 0 ? 1 / fps : 0));
    const trustContainer =
      Number.isFinite(containerDuration) && containerDuration > 0 &&
      (counted.pts.length < 2 || containerDuration - decodedDuration <= 2 * timing.medianInterval);
    duration = trustContainer ? containerDuration : decodedDuration;
  } else {
    fps = avg || r;
    duration = Number.isFinite(containerDuration) ? containerDuration : 0;
    const nb = Number(video.nb_frames);
    frameCount = Number.isFinite(nb) && nb > 0 ? nb : Math.round(duration * fps);
    variableFrameRate = r > 0 && avg > 0 && Math.abs(r - avg) / r > 0.01;
  }

  const info: VideoInfo = {
    width: quarterTurn ? codedHeight : codedWidth,
    height: quarterTurn ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    fps,
    rFrameRate,
    avgFrameRate,
    frameCount,
    duration,
    codec: video.codec_name ?? 'unknown',
    pixFmt: video.pix_fmt ?? 'unknown',
    container: probe.format?.format_name ?? 'unknown',
    variableFrameRate,
    browserPlayable: isBrowserPlayable(probe, video),
  };
  if (!counted) info.estimated = true;
  return info;
}

/** A quick look that takes longer than this is stopped; the file is then judged by its first bytes. */
const VALIDATE_TIMEOUT_MS = 60_000;

export type VideoVerdict =
  | { ok: true; info: VideoInfo }
  | { ok: false; status: 415 | 422; reason: string };

/** The 422 for a video whose index promises more frames than the file holds (see lib/video/completeness.ts). */
export function incompleteVideoReason(promised: number, present: number): string {
  return (
    `This video is incomplete: its index lists ${promised} frames but only ${present} are in the file, so it was ` +
    'probably cut off during the upload or copy. Please upload the whole file.'
  );
}

/**
 * Upload check, fast on any size (reads the container and decodes ONE frame):
 * - 415: not a video at all (text, image, audio, unknown bytes), the reason says what it looks like;
 * - 422: a video (or a file that claims to be one) that cannot give a single frame: empty,
 *   truncated, corrupt; or one whose index promises more frames than the file holds (cut off after
 *   its first frames: the packets are counted in the same ffprobe run as the container is read).
 * `info` has the container's frame count (`estimated: true`); the worker's probeVideo counts exactly.
 */
export async function validateVideo(file: string, options: { signal?: AbortSignal } = {}): Promise<VideoVerdict> {
  const { signal } = options;
  const size = (await stat(file)).size;
  if (size === 0) {
    return { ok: false, status: 422, reason: 'The file is empty (0 bytes): the upload may have failed. Please try again.' };
  }

  // the one-frame decode runs next to the container probe (each ffprobe costs about 0.2 s to start); its
  // answer counts only when the container is a video
  const decoding = decodesOneFrame(file, signal);
  let probe: ProbeOutput;
  try {
    probe = await probeContainer(file, signal, VALIDATE_TIMEOUT_MS, true);
  } catch (err) {
    await decoding;
    if (signal?.aborted) throw err;
    const detail = err instanceof VideoToolError ? err.stderrTail : [];
    return describeNonVideo(file, detail);
  }

  const video = firstVideoStream(probe.streams);
  const format = probe.format?.format_name ?? '';
  if (!video) {
    await decoding;
    const hasAudio = (probe.streams ?? []).some((s) => s.codec_type === 'audio');
    return {
      ok: false,
      status: 415,
      reason: hasAudio
        ? `This file is not a video: it has sound but no picture (it looks like an audio file, ${format}).`
        : `This file is not a video: it has no picture stream (format ${format || 'unknown'}).`,
    };
  }
  if (/(^|,)(image2|[a-z0-9]+_pipe)(,|$)/.test(format)) {
    await decoding;
    return { ok: false, status: 415, reason: `This file is a still image (${video.codec_name}), not a video.` };
  }

  const decoded = await decoding;
  if (!decoded.ok) {
    return {
      ok: false,
      status: 422,
      reason:
        'This video could not be played back: not a single frame decodes, so the file is probably ' +
        `damaged or was cut off during upload.${decoded.detail ? ` (${decoded.detail})` : ''}`,
    };
  }

  const info = infoFrom(probe, video, null);
  if (info.width <= 0 || info.height <= 0) {
    return { ok: false, status: 422, reason: 'This video has no picture size; the file is probably damaged.' };
  }
  const promised = Number(video.nb_frames);
  const present = Number(video.nb_read_packets);
  if (Number.isFinite(promised) && promised > 0 && Number.isFinite(present) && present < promised) {
    return { ok: false, status: 422, reason: incompleteVideoReason(promised, present) };
  }
  return { ok: true, info };
}

/**
 * Decodes the first video stream until ONE frame comes out (ffmpeg stops there, after as many packets as
 * the decoder's delay needs); ok when it did. One thread: no frame-threading delay to fill, and the
 * upload's other checks run next to it. (Before: ffprobe decoding the first 30 packets, about twice as long.)
 */
async function decodesOneFrame(file: string, signal?: AbortSignal): Promise<{ ok: boolean; detail?: string }> {
  const result = await runTool(
    FFMPEG,
    ['-hide_banner', '-nostdin', '-nostats', '-progress', 'pipe:1', '-v', 'error', '-threads', '1', '-i', file, '-map', '0:v:0', '-frames:v', '1', '-f', 'null', '-'],
    { signal, timeoutMs: VALIDATE_TIMEOUT_MS },
  );
  if (signal?.aborted) throw abortError(signal);
  if (result.timedOut) return { ok: false, detail: `decoding one frame took longer than ${VALIDATE_TIMEOUT_MS / 1000} s` };
  if (result.exitCode !== 0 || result.failed) return { ok: false, detail: lastLines(result.stderr).at(-1) ?? result.message };
  // -progress prints frame=N blocks; the last one counts the frames that came out
  const frames = Math.max(0, ...[...result.stdout.matchAll(/^frame=(\d+)/gm)].map((m) => Number(m[1])));
  return frames > 0 ? { ok: true } : { ok: false, detail: 'no frame decoded' };
}
