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

/** Content types of an upload whose body is the file itself (what the app's own page sends). */
export function isRawUpload(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/octet-stream' || type.startsWith('video/');
}

/** The name a raw upload gives in `X-Filename` (percent-encoded, as encodeURIComponent writes it). */
function rawFilename(request: Request): string {
  const given = request.headers.get('x-filename') ?? '';
  try {
    return cleanDisplayName(decodeURIComponent(given));
  } catch {
    return cleanDisplayName(given);
  }
}

/**
 * Streams the uploaded file of `request` straight into the blob store under `key` (hashed and
 * size-limited on the way by the store, never held in memory). Two forms:
 *  - the body is the file (Content-Type video/* or application/octet-stream, its name in `X-Filename`):
 *    what the app's page sends, nothing to parse;
 *  - multipart/form-data with the field `file` (curl -F, HTML forms, scripts).
 * When the store keeps blobs elsewhere (GridFS), the same bytes also go to a temp file under
 * `dataDir/uploads` so ffprobe can check them. `maxBytes` is enforced while streaming (413); on any
 * failure nothing is kept (no blob, no temp file).
 */
export async function receiveUpload(
  request: Request,
  opts: { store: BlobStore; key: string; dataDir: string; maxBytes: number; onBytes?: (n: number) => void },
): Promise<ReceivedUpload> {
  const { maxBytes } = opts;
  const contentType = request.headers.get('content-type') ?? '';
  const raw = isRawUpload(contentType);
  if (!raw && !contentType.startsWith('multipart/form-data')) {
    throw new HttpError(
      415,
      'Send the clip as the request body (Content-Type video/... or application/octet-stream, its name in the X-Filename header) ' +
        'or as multipart/form-data with the field "file".',
    );
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  // multipart framing adds a few hundred bytes; anything far above the limit can be refused at once
  if (Number.isFinite(declared) && declared > maxBytes + (raw ? 0 : 64 * 1024)) {
    throw new HttpError(413, `The file is larger than the limit of ${humanBytes(maxBytes)}.`);
  }
  if (!request.body) throw new HttpError(400, 'The request has no body.');

  const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
  if (raw) {
    try {
      return await storeFileBytes(body, rawFilename(request), opts);
    } catch (err) {
      body.resume(); // drain the rest of the request so the connection can answer
      throw err instanceof BlobTooLargeError ? new HttpError(413, `The file is larger than the limit of ${humanBytes(maxBytes)}.`) : err;
    }
  }
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
      storeFileBytes(stream, cleanDisplayName(info.filename), opts)
        .then((got) => {
          if (settled) return void got.release();
          settled = true;
          resolve(got);
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
  return result;
}

/**
 * The file's bytes into the store under `opts.key` (and, for a store without local files, into a temp
 * copy to probe). Rejects, keeping nothing, when `bytes` fails or passes `maxBytes`; a client that goes
 * away mid-upload is said as such (400).
 */
async function storeFileBytes(
  bytes: Readable,
  filename: string,
  opts: { store: BlobStore; key: string; dataDir: string; maxBytes: number; onBytes?: (n: number) => void },
): Promise<ReceivedUpload> {
  const { store, key, maxBytes } = opts;
  const local = store.localPath(key);
  let probeCopy: string | null = null;
  if (!local) {
    const dir = uploadsDir(opts.dataDir);
    await fsp.mkdir(dir, { recursive: true });
    probeCopy = path.join(dir, `${crypto.randomUUID()}.probe`);
  }
  let input: Readable = bytes;
  if (opts.onBytes) {
    const onBytes = opts.onBytes;
    input = input.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          onBytes(chunk.length);
          cb(null, chunk);
        },
      }),
    );
    bytes.on('error', (err) => input.destroy(err));
  }
  if (probeCopy) {
    const tee = teeToFile(probeCopy);
    input.on('error', (err) => tee.destroy(err));
    input = input.pipe(tee);
  }
  let interrupted: Error | null = null;
  bytes.once('error', (err) => (interrupted = err));
  try {
    const put = await store.putStream(key, input, { maxBytes });
    const release = async () => {
      if (probeCopy) await fsp.rm(probeCopy, { force: true });
    };
    return { key, localPath: local ?? probeCopy!, release, filename, sizeBytes: put.size, sha256: put.sha256 };
  } catch (err) {
    if (probeCopy) await fsp.rm(probeCopy, { force: true });
    if (interrupted && !(err instanceof BlobTooLargeError)) throw new HttpError(400, `The upload was interrupted: ${(interrupted as Error).message}`);
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
