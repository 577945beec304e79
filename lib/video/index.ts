/** Video handling (ffprobe/ffmpeg): probe + validate uploads, extract frames, playable copy, thumbnail. */
export { probeVideo, validateVideo, type ProbeOptions, type VideoVerdict } from './probe';
export { extractFrames, type ExtractOptions } from './extract';
export { readFrameIndex, writeFrameIndex, checkFrameIndex } from './frame-index';
export { makePlayable, type PlayableOptions } from './playable';
export { makeThumbnail } from './thumbnail';
export { VideoToolError } from './ffmpeg';
export type { FrameIndex, VideoInfo } from './types';
