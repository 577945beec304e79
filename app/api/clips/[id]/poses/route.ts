import { partialPoses, posesPayload } from '@/lib/clips/poses-blob';
import { finalFramesOf } from '@/lib/clips/repo';
import { encoded, preferredEncoding } from '@/lib/http/content-encoding';
import { servedDirectly, serveDirectly } from '@/lib/http/direct-routes';
import { route } from '@/lib/http/route';
import { memoryBlob, serveBlob } from '@/lib/http/serve-blob';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The whole pose sequence of a done clip in one compact binary response (lib/pose/compact.ts); owner,
 * admin, share viewers. Built once per result version, stored with the clip's blobs, and served from
 * memory once read (ETag, 304).
 * While the clip is processing: the frames final so far, the rest as empty placeholders (never cached);
 * `X-Final-Frames` / `X-Total-Frames` say how many are final.
 */
// cachedClip: the clip document may come from a short per-process memory, dropped on every change of the clip
export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  // private: per-caller data, never kept by a shared cache; Vary: the same URL answers differently per caller
  const vary = 'Cookie, Authorization, X-Share-Token';
  if (clip.status === 'processing') {
    // results while tracking runs: the final frames so far (X-Final-Frames), never cached
    const partial = await partialPoses(clip);
    if (!partial) return Response.json({ error: 'clip is processing and no frame is final yet', final_frames: 0 }, { status: 409 });
    return new Response(partial.body as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': 'application/octet-stream', 'cache-control': 'private, no-store', vary, ...finalHeaders(partial.finalFrames, partial.totalFrames) },
    });
  }
  if (clip.status !== 'done') return Response.json({ error: `clip is ${clip.status}, poses exist while it is processing and when it is done` }, { status: 409 });
  // held in memory once read (lib/clips/poses-blob.ts): a player's request costs no store read
  const payload = await posesPayload(clip);
  if (!payload) return Response.json({ error: 'this clip has no stored poses' }, { status: 404 });
  const total = finalFramesOf(clip);
  // compressed (Brotli about half the bytes) when the web server answers directly: through Next.js's
  // router the Content-Encoding header would be dropped (lib/http/direct-routes.ts servedDirectly)
  const encoding = payload.held && servedDirectly(request) ? preferredEncoding(request) : null;
  const bytes = encoding ? await encoded(payload.bytes, encoding) : payload.bytes;
  // each encoding is its own representation: its own ETag and length
  const info = encoding ? { ...payload.info, etag: payload.info.etag.replace(/"$/, `-${encoding}"`), size: bytes.length } : payload.info;
  return serveBlob(request, memoryBlob(info, bytes), info.key, 'application/octet-stream', {
    'cache-control': 'private, no-cache',
    vary: `${vary}, Accept-Encoding`,
    ...(encoding ? { 'content-encoding': encoding } : {}),
    ...finalHeaders(total, total),
  });
}, { cachedClip: true });

const finalHeaders = (finalFrames: number, total: number) => ({ 'x-final-frames': String(finalFrames), 'x-total-frames': String(total) });

// a player asks for this many times a second: the web server calls it without Next.js's router once loaded
serveDirectly('/api/clips/[id]/poses', { GET });
