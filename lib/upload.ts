import busboy from 'busboy';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

export interface ReceivedFile {
  /** the partial file under DATA_DIR/uploads; the caller moves or removes it */
  tmpPath: string;
  /** the name the browser gave, for display only */
  filename: string;
  sizeBytes: number;
  sha256: string;
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
 * Streams the multipart field `file` of `request` to disk under `dataDir/uploads`, hashing it on the
 * way, never holding the file in memory. Enforces `maxBytes` while streaming (413) and removes the
 * partial file on any failure.
 */
export async function receiveUpload(request: Request, dataDir: string, maxBytes: number): Promise<ReceivedFile> {
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

  const dir = uploadsDir(dataDir);
  await fsp.mkdir(dir, { recursive: true });
  const tmpPath = path.join(dir, `${crypto.randomUUID()}.part`);

  const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fileSize: maxBytes, fields: 10 } });

  const result = new Promise<ReceivedFile>((resolve, reject) => {
    let fileSeen = false;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
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
      const hash = crypto.createHash('sha256');
      let size = 0;
      stream.on('limit', () => {
        // stop writing at once; the rest of the request is drained so the client gets the 413
        fail(new HttpError(413, `The file is larger than the limit of ${humanBytes(maxBytes)}.`));
        stream.destroy();
      });
      const hasher = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      });
      const writing = pipeline(stream, hasher, fs.createWriteStream(tmpPath)).then(() => {
        if (settled) return;
        settled = true;
        resolve({ tmpPath, filename: cleanDisplayName(info.filename), sizeBytes: size, sha256: hash.digest('hex') });
      });
      writing.catch(fail);
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
    await fsp.rm(tmpPath, { force: true });
    throw err;
  }
}
