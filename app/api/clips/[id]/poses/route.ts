import { partialPoses, posesBlob } from '@/lib/clips/poses-blob';
import { finalFramesOf } from '@/lib/clips/repo';
import { route } from '@/lib/http/route';
import { serveBlob } from '@/lib/http/serve-blob';
import { blobStore } from '@/lib/storage';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The whole pose sequence of a done clip in one compact binary response (lib/pose/compact.ts); owner,
 * admin, share viewers. Built once per result version and served from the blob store (ETag, 304).
 * While the clip is processing: the frames final so far, the rest as empty placeholders (never cached);
 * `X-Final-Frames` / `X-Total-Frames` say how many are final.
 */
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
  const key = await posesBlob(clip);
  if (!key) return Response.json({ error: 'this clip has no stored poses' }, { status: 404 });
  const total = finalFramesOf(clip);
  return serveBlob(request, blobStore(), key, 'application/octet-stream', { 'cache-control': 'private, no-cache', vary, ...finalHeaders(total, total) });
});

const finalHeaders = (finalFrames: number, total: number) => ({ 'x-final-frames': String(finalFrames), 'x-total-frames': String(total) });
