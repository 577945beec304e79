import path from 'node:path';

/**
 * Where a clip's files live under DATA_DIR. Clip ids are MongoDB ObjectId hex strings (safe in paths);
 * the uploaded file's own name is a display name only and never part of a path.
 *
 *   <dataDir>/clips/<id>/source            the uploaded bytes, as uploaded
 *   <dataDir>/clips/<id>/playable.mp4      browser-playable H.264 copy (only when the source is not)
 *   <dataDir>/clips/<id>/frames/000000.jpg every video frame, 0-based, named by frame index
 *   <dataDir>/clips/<id>/frames.json       FrameIndex: exact presentation time of every frame
 *   <dataDir>/clips/<id>/runs/<attempt>/   a runner's working folder for one job attempt (PHALP output)
 *   <dataDir>/uploads/                     partial uploads while streaming (removed on failure)
 */
export function clipLayout(dataDir: string, clipId: string) {
  if (!/^[0-9a-f]{24}$/.test(clipId)) throw new Error(`invalid clip id '${clipId}'`);
  const dir = path.join(dataDir, 'clips', clipId);
  return {
    dir,
    source: path.join(dir, 'source'),
    playable: path.join(dir, 'playable.mp4'),
    framesDir: path.join(dir, 'frames'),
    frameIndex: path.join(dir, 'frames.json'),
    runsDir: path.join(dir, 'runs'),
    thumbnail: path.join(dir, 'thumb.jpg'),
  };
}

export function uploadsDir(dataDir: string): string {
  return path.join(dataDir, 'uploads');
}

/** File name of frame `i` inside the frames folder (ffmpeg pattern %06d.jpg, start number 0). */
export function frameFileName(i: number): string {
  return `${String(i).padStart(6, '0')}.jpg`;
}
