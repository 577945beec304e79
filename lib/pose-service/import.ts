import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getConfig } from '../config';
import { storageUsedBy } from '../clips/ownership';
import { acceptReceivedFile } from '../clips/service';
import type { ClipDTO } from '../clips/types';
import { uploadsDir } from '../storage/layout';
import { cleanDisplayName, HttpError, type ReceivedFile } from '../upload';

/**
 * POST /pose/video {video_path}: the original service read a video from a path on its own disk. Here a
 * path is accepted only inside IMPORT_DIR (a folder the operator chose, e.g. where a backend drops its
 * uploads); symlinks are resolved first, so a link inside IMPORT_DIR that points elsewhere is refused.
 * The file is copied into DATA_DIR (the clip owns its bytes; the import folder may be cleaned up by
 * the backend) and then goes the way of an upload (lib/clips/service.ts acceptReceivedFile).
 */

/** The file `videoPath` names, when it lies inside IMPORT_DIR; an HttpError that says why not otherwise. */
export async function resolveImportPath(videoPath: unknown, importDir: string | null): Promise<string> {
  if (typeof videoPath !== 'string' || videoPath.trim() === '') throw new HttpError(400, 'Missing video_path parameter');
  if (!importDir) {
    throw new HttpError(
      403,
      'Reading videos from a path is switched off on this server: set IMPORT_DIR to the folder videos may be read from (or upload the file with POST /api/clips).',
    );
  }
  if (!path.isAbsolute(videoPath)) throw new HttpError(400, `video_path must be an absolute path inside IMPORT_DIR (${importDir}); got ${videoPath}`);
  let root: string;
  try {
    root = await fsp.realpath(importDir);
  } catch {
    throw new HttpError(503, `IMPORT_DIR (${importDir}) does not exist on this server; ask the operator to create it.`);
  }
  let real: string;
  try {
    real = await fsp.realpath(videoPath);
  } catch {
    throw new HttpError(400, `Video file not found: ${videoPath}`);
  }
  const rel = path.relative(root, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new HttpError(403, `video_path must lie inside IMPORT_DIR (${importDir}); ${videoPath} resolves to a file outside it.`);
  }
  const stat = await fsp.stat(real);
  if (!stat.isFile()) throw new HttpError(400, `video_path is not a file: ${videoPath}`);
  return real;
}

/** Copies `file` under DATA_DIR/uploads, hashing it on the way (the same shape an upload has). */
async function copyIn(file: string, dataDir: string, maxBytes: number): Promise<ReceivedFile> {
  const size = (await fsp.stat(file)).size;
  if (size > maxBytes) throw new HttpError(413, `The file is larger than the limit of ${maxBytes} bytes.`);
  const dir = uploadsDir(dataDir);
  await fsp.mkdir(dir, { recursive: true });
  const tmpPath = path.join(dir, `${crypto.randomUUID()}.part`);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      fs.createReadStream(file),
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      }),
      fs.createWriteStream(tmpPath),
    );
  } catch (err) {
    await fsp.rm(tmpPath, { force: true });
    throw new HttpError(400, `The video could not be read: ${(err as Error).message}`);
  }
  return { tmpPath, filename: cleanDisplayName(path.basename(file)), sizeBytes: bytes, sha256: hash.digest('hex') };
}

/** Queues the video at `videoPath` (inside IMPORT_DIR) as a clip of `ownerId`. */
export async function importVideo(ownerId: string, videoPath: unknown): Promise<ClipDTO> {
  const config = getConfig();
  const started = Date.now();
  const real = await resolveImportPath(videoPath, config.importDir);
  const quota = config.maxStorageBytesPerAccount;
  let limit = config.maxUploadBytes;
  if (quota) {
    const used = await storageUsedBy(ownerId);
    const size = (await fsp.stat(real)).size;
    if (used + size > quota) {
      throw new HttpError(413, `Storage quota reached: this account uses ${used} of its ${quota} bytes and the video has ${size}. Delete clips you no longer need to make room.`);
    }
    limit = Math.min(limit, quota - used);
  }
  const file = await copyIn(real, config.dataDir, limit);
  return acceptReceivedFile(ownerId, file, started);
}
