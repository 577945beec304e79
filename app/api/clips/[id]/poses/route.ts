import { loadSequence } from '@/lib/frames/repo';
import { route } from '@/lib/http/route';
import { encodePoseSequence } from '@/lib/pose/compact';

export const dynamic = 'force-dynamic';

/** The whole pose sequence of a done clip in one compact binary response (lib/pose/compact.ts); owner, admin, share viewers. */
export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  const id = clip._id.toHexString();
  if (clip.status !== 'done') return Response.json({ error: `clip is ${clip.status}, poses exist when it is done` }, { status: 409 });
  // The result only changes when the clip document does (a new run), so its update time versions the payload.
  const etag = `"poses-${id}-${clip.updatedAt.getTime()}"`;
  // private: per-caller data, never kept by a shared cache; Vary: the same URL answers differently per caller
  const headers = { ETag: etag, 'Cache-Control': 'private, no-cache', Vary: 'Cookie, Authorization, X-Share-Token' };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  const seq = await loadSequence(id);
  if (!seq) return Response.json({ error: 'this clip has no stored poses' }, { status: 404 });
  const body = encodePoseSequence(seq);
  return new Response(body as Uint8Array<ArrayBuffer>, { headers: { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.byteLength) } });
});
