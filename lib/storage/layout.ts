import path from 'node:path';

/**
 * Paths under DATA_DIR. Blobs are addressed by keys (lib/storage/keys.ts); the disk backend keeps a
 * key at the same relative path, so an install made before keys existed is read as is:
 *
 *   <dataDir>/clips/<id>/source            the uploaded bytes, as uploaded            (blob)
 *   <dataDir>/clips/<id>/playable.mp4      browser-playable H.264 copy, when needed    (blob)
 *   <dataDir>/clips/<id>/frames.json       FrameIndex: exact presentation time of every frame (blob)
 *   <dataDir>/clips/<id>/thumb.jpg         the library's preview                       (blob)
 *   <dataDir>/clips/<id>/poses/<v>.bin     the player's poses payload of result version v (blob)
 *   <dataDir>/uploads/                     partial blobs while streaming (removed on failure)
 *   <dataDir>/work/<id>/attempt-<n>/       a worker's scratch for one job attempt: a local copy of the
 *                                          source, the JPG frames, the runner's folder; never shared,
 *                                          removed when the attempt ends (or at the worker's next start)
 *
 * Clip ids are MongoDB ObjectId hex strings (safe in paths); the uploaded file's own name is a display
 * name only and never part of a path.
 */
export function clipLayout(dataDir: string, clipId: string) {
  if (!/^[0-9a-f]{24}$/.test(clipId)) throw new Error(`invalid clip id '${clipId}'`);
  const dir = path.join(dataDir, 'clips', clipId);
  return {
    dir,
    source: path.join(dir, 'source'),
    playable: path.join(dir, 'playable.mp4'),
    frameIndex: path.join(dir, 'frames.json'),
    thumbnail: path.join(dir, 'thumb.jpg'),
    /** the worker-local scratch of every attempt at this clip (processes started for it name this path) */
    runsDir: path.join(workRoot(dataDir), clipId),
  };
}

/** Where workers keep per-attempt scratch folders. */
export function workRoot(dataDir: string): string {
  return path.join(dataDir, 'work');
}

/** One attempt's scratch folder and what goes in it. */
export function attemptLayout(dataDir: string, clipId: string, attempt: number) {
  const dir = path.join(clipLayout(dataDir, clipId).runsDir, `attempt-${attempt}`);
  return {
    dir,
    /** who owns this folder: {host, pid}; a folder whose process is gone is removed at a worker's start */
    owner: path.join(dir, 'owner.json'),
    source: path.join(dir, 'source'),
    framesDir: path.join(dir, 'frames'),
    playable: path.join(dir, 'playable.mp4'),
    thumbnail: path.join(dir, 'thumb.jpg'),
    /** the runner's working folder (PHALP output) */
    runDir: path.join(dir, 'run'),
  };
}

export function uploadsDir(dataDir: string): string {
  return path.join(dataDir, 'uploads');
}

/** File name of frame `i` inside the frames folder (ffmpeg pattern %06d.jpg, start number 0). */
export function frameFileName(i: number): string {
  return `${String(i).padStart(6, '0')}.jpg`;
}
