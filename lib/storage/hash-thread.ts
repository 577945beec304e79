import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of a stream's bytes, computed on a worker thread instead of the event loop.
 *
 * Why: hashing is the largest CPU cost of receiving an upload (1.7 GB/s here: 0.6 s of the event loop per
 * GiB, during which no player's request is answered). On a thread it runs next to the receiving and the
 * writing, on another core. The event loop only copies each chunk into a 1 MiB batch, whose buffer is
 * then handed over (transferred, not copied again).
 *
 * One thread per process, started on first use; it keeps the process alive only while a hash is in
 * progress. Any number of hashes at once, each by id. If the thread dies, the hashes in progress fail
 * (their digest() rejects) and the next one starts a new thread.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = crypto.createHash('sha256')));
    h.update(new Uint8Array(m.buf, 0, m.len));
    parentPort.postMessage({ op: 'ack', id: m.id, len: m.len });
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) ?? crypto.createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, hex: h.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

const BATCH = 1024 * 1024;

/** a batch buffer with an ArrayBuffer of its own (never a slice of Node's pool), not zero-filled */
function newBatch(): Buffer {
  return Buffer.allocUnsafeSlow(BATCH);
}

interface Session {
  onAck(len: number): void;
  onDigest(hex: string): void;
  onFail(err: Error): void;
}

let thread: Worker | null = null;
const sessions = new Map<number, Session>();
let nextId = 1;

/** The thread holds the process open only while some hash is in progress. */
function openSession(id: number, s: Session): void {
  sessions.set(id, s);
  if (sessions.size === 1) thread?.ref();
}

function closeSession(id: number): void {
  if (sessions.delete(id) && sessions.size === 0) thread?.unref();
}

function hashThread(): Worker {
  if (thread) return thread;
  // plain CommonJS source: none of the process's flags (an ESM input type, a loader like tsx) apply to it
  const t = new Worker(THREAD_SOURCE, { eval: true, execArgv: [] });
  t.unref();
  t.on('message', (m: { op: 'ack' | 'digest'; id: number; len?: number; hex?: string }) => {
    const s = sessions.get(m.id);
    if (m.op === 'ack') s?.onAck(m.len!);
    else {
      closeSession(m.id);
      s?.onDigest(m.hex!);
    }
  });
  const gone = (err: Error) => {
    if (thread !== t) return;
    thread = null;
    for (const [id, s] of sessions) {
      sessions.delete(id);
      s.onFail(err);
    }
  };
  t.on('error', (err) => gone(err));
  t.on('exit', (code) => gone(new Error(`the hashing thread stopped (exit ${code})`)));
  thread = t;
  return t;
}

/** Ends the hashing thread (hashes in progress fail); the next hash starts a new one. */
export async function stopHashThread(): Promise<void> {
  const t = thread;
  if (t) await t.terminate();
}

/** An incremental SHA-256 whose work runs on the hashing thread. */
export class ThreadedSha256 {
  private readonly id = nextId++;
  private readonly thread = hashThread();
  private batch = newBatch();
  private filled = 0;
  /** bytes handed to the thread and not hashed yet */
  private inFlight = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private result: Promise<string> | null = null;
  private resolveDigest: ((hex: string) => void) | null = null;
  private rejectDigest: ((err: Error) => void) | null = null;

  constructor() {
    openSession(this.id, {
      onAck: (len) => {
        this.inFlight -= len;
        this.wake();
      },
      onDigest: (hex) => this.resolveDigest?.(hex),
      onFail: (err) => {
        this.failure = err;
        this.rejectDigest?.(err);
        this.wake();
      },
    });
  }

  /** bytes waiting for the thread: a caller may wait (drained) before giving more */
  get backlog(): number {
    return this.inFlight + this.filled;
  }

  update(chunk: Uint8Array): void {
    if (this.failure) return;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, BATCH - this.filled);
      this.batch.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) this.send();
    }
  }

  /** resolves once at most `bytes` are waiting for the thread (or the thread failed) */
  async drained(bytes: number): Promise<void> {
    while (this.inFlight > bytes && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** the hex digest of every byte given; rejects when the thread died meanwhile */
  digest(): Promise<string> {
    if (this.result) return this.result;
    this.result = new Promise<string>((resolve, reject) => {
      this.resolveDigest = resolve;
      this.rejectDigest = reject;
    });
    if (this.failure) this.rejectDigest!(this.failure);
    else {
      if (this.filled > 0) this.send();
      this.thread.postMessage({ op: 'digest', id: this.id });
    }
    return this.result;
  }

  /** forget this hash (a failed stream): the thread drops its state */
  drop(): void {
    if (this.result) return;
    closeSession(this.id);
    this.thread.postMessage({ op: 'drop', id: this.id });
  }

  private send(): void {
    // newBatch() owns its whole ArrayBuffer (offset 0), so it can be transferred
    const buf = this.batch.buffer as ArrayBuffer;
    this.thread.postMessage({ op: 'update', id: this.id, buf, len: this.filled }, [buf]);
    this.inFlight += this.filled;
    this.batch = newBatch();
    this.filled = 0;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
