import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, checkKey, checkPrefix, type BlobInfo, type BlobStore, type ByteRange, type PutOptions, type PutResult } from './blob-store';
import { Metering } from './metering';

/**
 * Blobs as files under one folder (DATA_DIR): the key is the relative path, so an install keeps the
 * layout it always had (clips/<id>/source, playable.mp4, thumb.jpg, frames.json). Writes go to a
 * temp file under <root>/uploads/ (same filesystem) and are renamed into place when complete, so a
 * reader never sees half a blob and a failed write leaves nothing but a temp file it removes.
 */
export class DiskBlobStore implements BlobStore {
  readonly kind = 'disk' as const;
  constructor(readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  private async tempFile(): Promise<string> {
    const dir = path.join(this.root, 'uploads');
    await fsp.mkdir(dir, { recursive: true });
    return path.join(dir, `${crypto.randomUUID()}.part`);
  }

  async putStream(key: string, stream: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const target = this.file(key);
    const tmp = await this.tempFile();
    const meter = new Metering(opts.maxBytes);
    try {
      await pipeline(stream, meter, fs.createWriteStream(tmp), { signal: opts.signal });
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(tmp, target);
    } catch (err) {
      stream.destroy();
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    const info = (await this.stat(key))!;
    return { ...info, contentType: opts.contentType ?? null, sha256: meter.digest() };
  }

  putFile(key: string, file: string, opts: PutOptions = {}): Promise<PutResult> {
    return this.putStream(key, fs.createReadStream(file), opts);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const st = await fsp.stat(this.file(key)).catch(() => null);
    if (!st || !st.isFile()) return null;
    return {
      key,
      size: st.size,
      etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`,
      updatedAt: st.mtime,
      contentType: null,
    };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.file(key);
    const handle = await fsp.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') throw new BlobNotFoundError(key);
      throw err;
    });
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async copy(from: string, to: string): Promise<boolean> {
    const src = this.file(from);
    const dst = this.file(to);
    if (!(await this.stat(from))) return false;
    await fsp.mkdir(path.dirname(dst), { recursive: true });
    // blobs are never changed in place (always temp + rename), so a hard link is a safe copy
    const tmp = await this.tempFile();
    try {
      await fsp.link(src, tmp).catch(() => fsp.copyFile(src, tmp));
      await fsp.rename(tmp, dst);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    return true;
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.file(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const n = (await this.list(prefix)).length;
    await fsp.rm(path.join(this.root, checkPrefix(prefix)), { recursive: true, force: true });
    return n;
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const dir = path.join(this.root, checkPrefix(prefix));
    const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    const out: BlobInfo[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const rel = path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/');
      try {
        checkKey(rel);
      } catch {
        continue; // not a blob (e.g. a stray temp file with odd characters)
      }
      const info = await this.stat(rel);
      if (info) out.push(info);
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async fetchToFile(key: string, file: string): Promise<BlobInfo> {
    const info = await this.stat(key);
    if (!info) throw new BlobNotFoundError(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${crypto.randomUUID()}.part`;
    try {
      await fsp.copyFile(this.file(key), tmp, fs.constants.COPYFILE_FICLONE);
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw err;
    }
    return info;
  }

  localPath(key: string): string | null {
    return this.file(key);
  }

  async sweepIncomplete(olderThanMs: number): Promise<number> {
    const dir = path.join(this.root, 'uploads');
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    let swept = 0;
    for (const name of names) {
      const file = path.join(dir, name);
      const st = await fsp.stat(file).catch(() => null);
      if (!st || Date.now() - st.mtimeMs < olderThanMs) continue;
      await fsp.rm(file, { recursive: true, force: true });
      swept++;
    }
    return swept;
  }
}
