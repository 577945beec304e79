import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, ObjectId, type Db, type GridFSFile } from 'mongodb';
import { BlobNotFoundError, checkKey, checkPrefix, type BlobInfo, type BlobStore, type ByteRange, type PutOptions, type PutResult } from './blob-store';
import { Metering } from './metering';

export const GRIDFS_BUCKET = 'blobs';

interface BlobMeta {
  sha256?: string;
  contentType?: string | null;
}

/**
 * Blobs in MongoDB GridFS (bucket `blobs`, file name = key), so web apps and workers on other
 * machines need nothing but MONGODB_URI. GridFS writes a file's document only after its last chunk,
 * so a blob being written is invisible; a replaced blob's older versions are deleted once the new one
 * is complete (readers take the newest). A failed write deletes its chunks; chunks of a process that
 * died mid-write are swept by sweepIncomplete().
 */
export class GridFsBlobStore implements BlobStore {
  readonly kind = 'gridfs' as const;
  private bucketPromise: Promise<GridFSBucket> | null = null;

  constructor(private readonly db: () => Promise<Db>) {}

  private bucket(): Promise<GridFSBucket> {
    this.bucketPromise ??= this.db().then((db) => new GridFSBucket(db, { bucketName: GRIDFS_BUCKET, chunkSizeBytes: 1024 * 1024 }));
    this.bucketPromise.catch(() => (this.bucketPromise = null));
    return this.bucketPromise;
  }

  private async newest(key: string): Promise<GridFSFile | null> {
    const bucket = await this.bucket();
    const [doc] = await bucket.find({ filename: checkKey(key) }).sort({ uploadDate: -1, _id: -1 }).limit(1).toArray();
    return doc ?? null;
  }

  private info(doc: GridFSFile): BlobInfo {
    const meta = (doc.metadata ?? {}) as BlobMeta;
    return { key: doc.filename, size: doc.length, etag: `"${String(doc._id)}"`, updatedAt: doc.uploadDate, contentType: meta.contentType ?? null };
  }

  async putStream(key: string, stream: Readable, opts: PutOptions = {}): Promise<PutResult> {
    checkKey(key);
    const bucket = await this.bucket();
    const id = new ObjectId();
    const upload = bucket.openUploadStreamWithId(id, key, { metadata: { contentType: opts.contentType ?? null } satisfies BlobMeta });
    const meter = new Metering(opts.maxBytes);
    try {
      await pipeline(stream, meter, upload, { signal: opts.signal });
    } catch (err) {
      stream.destroy();
      await upload.abort().catch(() => {});
      // chunk inserts already sent finish after the failure: wait for them, then remove every chunk
      const state = (upload as unknown as { state?: { outstandingRequests?: number } }).state;
      for (let i = 0; i < 200 && (state?.outstandingRequests ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      await this.dropChunks(id);
      throw err;
    }
    const sha256 = meter.digest();
    const db = await this.db();
    await db.collection(`${GRIDFS_BUCKET}.files`).updateOne({ _id: id }, { $set: { 'metadata.sha256': sha256 } });
    const doc: GridFSFile = upload.gridFSFile ?? { _id: id, filename: key, length: meter.size, chunkSize: upload.chunkSizeBytes, uploadDate: new Date(), metadata: {} };
    // the new version is complete: OLDER ones of the same key go (readers take the newest by uploadDate,
    // then _id; a concurrent put that finished later is newer and stays)
    const older = await bucket
      .find({ filename: key, $or: [{ uploadDate: { $lt: doc.uploadDate } }, { uploadDate: doc.uploadDate, _id: { $lt: id } }] }, { projection: { _id: 1 } })
      .toArray();
    for (const o of older) await bucket.delete(o._id).catch(() => {});
    return { ...this.info(doc), contentType: opts.contentType ?? null, sha256 };
  }

  putFile(key: string, file: string, opts: PutOptions = {}): Promise<PutResult> {
    return this.putStream(key, fs.createReadStream(file), opts);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const doc = await this.newest(key);
    return doc ? this.info(doc) : null;
  }

  /** The sha256 recorded when the blob was written (null for a blob written before it was set). */
  async recordedSha256(key: string): Promise<string | null> {
    const doc = await this.newest(key);
    return ((doc?.metadata ?? {}) as BlobMeta).sha256 ?? null;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const doc = await this.newest(key);
    if (!doc) throw new BlobNotFoundError(key);
    const bucket = await this.bucket();
    // GridFS's end is exclusive; an empty blob has nothing to range over
    if (doc.length === 0) return bucket.openDownloadStream(doc._id);
    return bucket.openDownloadStream(doc._id, range ? { start: range.start, end: Math.min(range.end + 1, doc.length) } : {});
  }

  async copy(from: string, to: string): Promise<boolean> {
    const doc = await this.newest(from);
    if (!doc) return false;
    const bucket = await this.bucket();
    const contentType = ((doc.metadata ?? {}) as BlobMeta).contentType ?? undefined;
    await this.putStream(to, bucket.openDownloadStream(doc._id), { contentType });
    return true;
  }

  async delete(key: string): Promise<void> {
    const bucket = await this.bucket();
    const docs = await bucket.find({ filename: checkKey(key) }, { projection: { _id: 1 } }).toArray();
    for (const d of docs) await bucket.delete(d._id).catch(() => {});
  }

  async deletePrefix(prefix: string): Promise<number> {
    const bucket = await this.bucket();
    const docs = await bucket.find({ filename: { $regex: `^${escapeRegex(checkPrefix(prefix))}` } }, { projection: { _id: 1, filename: 1 } }).toArray();
    for (const d of docs) await bucket.delete(d._id).catch(() => {});
    return new Set(docs.map((d) => d.filename)).size;
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const bucket = await this.bucket();
    const docs = await bucket.find({ filename: { $regex: `^${escapeRegex(checkPrefix(prefix))}` } }).sort({ filename: 1, uploadDate: -1, _id: -1 }).toArray();
    const seen = new Set<string>();
    const out: BlobInfo[] = [];
    for (const d of docs) {
      if (seen.has(d.filename)) continue;
      seen.add(d.filename);
      out.push(this.info(d));
    }
    return out;
  }

  async fetchToFile(key: string, file: string): Promise<BlobInfo> {
    const doc = await this.newest(key);
    if (!doc) throw new BlobNotFoundError(key);
    const bucket = await this.bucket();
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${crypto.randomUUID()}.part`;
    try {
      await pipeline(bucket.openDownloadStream(doc._id), fs.createWriteStream(tmp));
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    return this.info(doc);
  }

  localPath(): null {
    return null;
  }

  /** Deletes chunks that belong to no file and were started more than `olderThanMs` ago (a writer that died). */
  async sweepIncomplete(olderThanMs: number): Promise<number> {
    const db = await this.db();
    const chunks = db.collection<{ files_id: ObjectId; n: number }>(`${GRIDFS_BUCKET}.chunks`);
    const files = db.collection(`${GRIDFS_BUCKET}.files`);
    const cutoff = Date.now() - olderThanMs;
    let swept = 0;
    for await (const c of chunks.find({ n: 0 }, { projection: { files_id: 1 } })) {
      const id = c.files_id;
      if (!(id instanceof ObjectId) || id.getTimestamp().getTime() > cutoff) continue;
      if (await files.findOne({ _id: id }, { projection: { _id: 1 } })) continue;
      await this.dropChunks(id);
      swept++;
    }
    return swept;
  }

  private async dropChunks(id: ObjectId): Promise<void> {
    const db = await this.db();
    await db.collection(`${GRIDFS_BUCKET}.chunks`).deleteMany({ files_id: id }).catch(() => {});
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
