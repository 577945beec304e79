import busboy from 'busboy';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ObjectId } from 'mongodb';
import { BlobTooLargeError, type BlobStore } from './storage/blob-store';
import { uploadsDir } from './storage/layout';

/** An error with the HTTP status a route handler should answer with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A file received under DATA_DIR/uploads (e.g. copied in from IMPORT_DIR); acceptReceivedFile stores it. */
export interface ReceivedFile {
  tmpPath: string;
  /** the name given, for display only */
  filename: string;
  sizeBytes: number;
  sha256: string;
}

/** An upload streamed into the blob store (receiveUpload). */
export interface ReceivedUpload {
  /** the blob key the bytes were stored under */
  key: string;
  /** a local file with the same bytes, for probing (the disk backend's own file, or a temp copy); call release() */
  localPath: string;
  /** removes the temp copy (never the stored blob) */
  release(): Promise<void>;
  /** the name the browser gave, for display only */
  filename: string;
  sizeBytes: number;
  sha256: string;
}

/** An upload in the store under the source key of the clip id chosen for it. */
export interface StoredUpload extends ReceivedUpload {
  clipId: ObjectId;
}

function humanBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Keeps a display name printable and short; it is never used as a path. */
export function cleanDisplayName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const printable = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return printable.slice(0, 200) || 'clip';
}

/**
 * Streams the multipart field `file` of `request` straight into the blob store under `key` (hashed and
 * size-limited on the way by the store, never held in memory). When the store keeps blobs elsewhere
 * (GridFS), the same bytes also go to a temp file under `dataDir/uploads` so ffprobe can check them.
 * `maxBytes` is enforced while streaming (413); on any failure nothing is kept (no blob, no temp file).
 */
export async function receiveUpload(
  request: Request,
  opts: { store: BlobStore; key: string; dataDir: string; maxBytes: number; onBytes?: (n: number) => void },
): Promise<ReceivedUpload> {
  const { store, key, maxBytes } = opts;
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    throw new HttpError(415, 'Send the clip as multipart/form-data with the field "file".');
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  // multipart framing adds a few hundred bytes; anything far above the limit can be refused at once
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) {
    throw new HttpError(413, `The file is larger than the limit of ${humanBytes(maxBytes)}.`);
  }
  if (!request.body) throw new HttpError(400, 'The request has no body.');

  const local = store.localPath(key);
  let probeCopy: string | null = null;
  if (!local) {
    const dir = uploadsDir(opts.dataDir);
    await fsp.mkdir(dir, { recursive: true });
    probeCopy = path.join(dir, `${crypto.randomUUID()}.probe`);
  }

  const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fields: 10 } });

  const result = new Promise<ReceivedUpload>((resolve, reject) => {
    let fileSeen = false;
    let settled = false;
    let fileBytes: Readable | null = null;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      // the store's write ends with an error, so it removes what it wrote (a client gone mid-upload left
      // the store's temp file: busboy's file stream just stopped, neither ending nor failing)
      fileBytes?.destroy(err instanceof Error ? err : new Error(String(err)));
      body.unpipe(parser);
      body.resume(); // drain the rest of the request so the connection can answer
      reject(err);
    };
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || fileSeen) {
        stream.resume();
        return;
      }
      fileSeen = true;
      fileBytes = stream;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          opts.onBytes?.(chunk.length);
          cb(null, chunk);
        },
      });
      let input: Readable = stream.pipe(counter);
      stream.on('error', (err) => counter.destroy(err));
      if (probeCopy) input = input.pipe(teeToFile(probeCopy));
      store
        .putStream(key, input, { maxBytes })
        .then((put) => {
          if (settled) return;
          settled = true;
          const release = async () => {
            if (probeCopy) await fsp.rm(probeCopy, { force: true });
          };
          resolve({ key, localPath: local ?? probeCopy!, release, filename: cleanDisplayName(info.filename), sizeBytes: put.size, sha256: put.sha256 });
        })
        .catch((err) => {
          stream.resume();
          fail(err instanceof BlobTooLargeError ? new HttpError(413, `The file is larger than the limit of ${humanBytes(maxBytes)}.`) : err);
        });
    });
    parser.on('error', (err) => fail(new HttpError(400, `The upload could not be read: ${(err as Error).message}`)));
    parser.on('close', () => {
      if (!fileSeen) fail(new HttpError(400, 'The upload has no field "file".'));
    });
    body.on('error', (err) => fail(new HttpError(400, `The upload was interrupted: ${err.message}`)));
  });

  body.pipe(parser);
  try {
    return await result;
  } catch (err) {
    if (probeCopy) await fsp.rm(probeCopy, { force: true });
    throw err;
  }
}

/** Passes the bytes on and also writes them to `file` (waiting for the file when it is slower). */
function teeToFile(file: string): Transform {
  const out = fs.createWriteStream(file);
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (out.write(chunk)) cb(null, chunk);
      else out.once('drain', () => cb(null, chunk));
    },
    flush(cb) {
      out.end((err?: Error | null) => cb(err ?? null));
    },
  });
  out.on('error', (err) => tee.destroy(err));
  tee.on('close', () => out.destroy());
  return tee;
}
