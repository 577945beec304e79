import fs from 'node:fs';
import path from 'node:path';

export const SAMPLE_VIDEO = path.resolve('../shared/samples/video/two_people_jump.mp4');

/**
 * The sample with a unique run of trailing zero bytes (ignored by MP4 demuxers). Several specs upload
 * the sample to the same app, and identical content re-uses earlier results instead of running live.
 */
export function uniqueSample() {
  const padding = Buffer.alloc(1 + (Date.now() % 4096));
  return { name: 'two_people_jump.mp4', mimeType: 'video/mp4', buffer: Buffer.concat([fs.readFileSync(SAMPLE_VIDEO), padding]) };
}
