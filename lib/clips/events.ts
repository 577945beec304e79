import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { CLIP_EVENTS_CHANNEL } from '../queue';
import { bullConnection } from '../redis';
import type { Actor } from '../auth/identity';
import { clipScope, inScope } from '../auth/policy';
import { clipsCollection, toSharedClipView } from './repo';
import { loadClipView } from './service';
import type { ClipDTO } from './types';

/**
 * Live clip changes for Server-Sent Events. Workers publish a clip id on a Redis channel whenever a clip
 * changes; each web process keeps ONE subscription and fans it out to its open event streams.
 */
const hub = new EventEmitter();
hub.setMaxListeners(0);
let subscriber: Redis | null = null;

function ensureSubscribed(): void {
  if (subscriber) return;
  subscriber = bullConnection();
  subscriber.on('error', () => {});
  void subscriber.subscribe(CLIP_EVENTS_CHANNEL).catch(() => {});
  subscriber.on('message', (_channel: string, clipId: string) => hub.emit('change', clipId));
}

export function onClipChange(listener: (clipId: string) => void): () => void {
  ensureSubscribed();
  hub.on('change', listener);
  return () => hub.off('change', listener);
}

const FINAL = new Set(['done', 'failed', 'canceled']);

/**
 * An SSE stream of one clip (`clipId`, access already checked by the route) or of the caller's library
 * (null): `event: clip` with the ClipDTO as data, sent at once and after every change (a one-clip stream
 * also sends `event: frames` `{id, status, final_frames, total_frames}` first whenever the count of
 * stored final frames or the status changed: results while tracking runs); a one-clip
 * stream ends after the clip is done, failed or canceled. A library stream carries only the clips in
 * the caller's scope (lib/auth/policy.ts), and `deleted` only for clips it had shown or listed; a
 * share viewer gets the minimal view of its one clip.
 */
export function clipEventStream(
  actor: Actor,
  clipId: string | null,
  abort: AbortSignal,
  opts: { all?: boolean } = {},
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cleanup = () => {};
  // set when the stream ends either way (done here, or canceled by the client): nothing is enqueued after
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let lastSent = '';
      let lastFrames = '';
      let queued: Promise<void> = Promise.resolve();
      // the library stream's clips: only these may be reported deleted (no other account's ids)
      const known = new Set<string>();
      if (!clipId) {
        queued = clipsCollection()
          .then((c) => c.find(clipScope(actor, opts), { projection: { _id: 1 }, sort: { createdAt: -1 }, limit: 1000 }).toArray())
          .then((docs) => docs.forEach((d) => known.add(d._id.toHexString())))
          .catch(() => {});
      }
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      const send = (event: string, data: unknown) => {
        if (!closed) controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const push = (id: string) => {
        // serialise reads so events leave in the order the changes happened
        queued = queued.then(async () => {
          const full: ClipDTO | null = await loadClipView(id).catch(() => null);
          if (closed) return;
          if (!full || (!clipId && !inScope(actor, full, opts))) {
            if (clipId) {
              send('deleted', { id });
              close();
            } else if (known.delete(id)) send('deleted', { id });
            return;
          }
          if (!clipId) known.add(id);
          const clip = actor.kind === 'share' ? toSharedClipView(full) : full;
          const text = JSON.stringify(clip);
          if (text === lastSent && clipId) return;
          lastSent = text;
          // results while tracking runs: how many frames are stored and final, so the page fetches the new range
          if (clipId && `${clip.status}:${clip.finalFrames}` !== lastFrames) {
            lastFrames = `${clip.status}:${clip.finalFrames}`;
            send('frames', { id: clip.id, status: clip.status, final_frames: clip.finalFrames, total_frames: clip.frameCount });
          }
          send('clip', clip);
          if (clipId && FINAL.has(clip.status)) close();
        });
      };
      const off = onClipChange((changed) => {
        // a queued clip's position moves when any other job starts or ends
        if (clipId === null || changed === clipId || lastSent.includes('"status":"queued"')) push(clipId ?? changed);
      });
      const ping = setInterval(() => {
        if (!closed) controller.enqueue(enc.encode(`: ping\n\n`));
      }, 15_000);
      cleanup = () => {
        off();
        clearInterval(ping);
      };
      abort.addEventListener('abort', close);
      controller.enqueue(enc.encode(`retry: 2000\n\n`));
      if (clipId) push(clipId);
    },
    cancel() {
      closed = true;
      cleanup();
    },
  });
}

export function sseResponse(stream: ReadableStream<Uint8Array>): Response {
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
