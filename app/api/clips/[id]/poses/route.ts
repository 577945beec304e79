import { posesBlob } from '@/lib/clips/poses-blob';
import { route } from '@/lib/http/route';
import { serveBlob } from '@/lib/http/serve-blob';
import { blobStore } from '@/lib/storage';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The whole pose sequence of a done clip in one compact binary response (lib/pose/compact.ts); owner,
 * admin, share viewers. Built once per result version and served from the blob store (ETag, 304).
 */
export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  if (clip.status !== 'done') return Response.json({ error: `clip is ${clip.status}, poses exist when it is done` }, { status: 409 });
  const key = await posesBlob(clip);
  if (!key) return Response.json({ error: 'this clip has no stored poses' }, { status: 404 });
  // private: per-caller data, never kept by a shared cache; Vary: the same URL answers differently per caller
  return serveBlob(request, blobStore(), key, 'application/octet-stream', { 'cache-control': 'private, no-cache', vary: 'Cookie, Authorization, X-Share-Token' });
});
