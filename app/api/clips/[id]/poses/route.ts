import { getClip } from '@/lib/clips/repo';
import { loadSequence } from '@/lib/frames/repo';
import { encodePoseSequence } from '@/lib/pose/compact';

export const dynamic = 'force-dynamic';

/** The whole pose sequence of a done clip in one compact binary response (lib/pose/compact.ts). */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const clip = /^[0-9a-f]{24}$/.test(id) ? await getClip(id) : null;
  if (!clip) return Response.json({ error: `no clip '${id}'` }, { status: 404 });
  if (clip.status !== 'done') return Response.json({ error: `clip is ${clip.status}, poses exist when it is done` }, { status: 409 });
  // The result only changes when the clip document does (a new run), so its update time versions the payload.
  const etag = `"poses-${id}-${Date.parse(clip.updatedAt)}"`;
  const headers = { ETag: etag, 'Cache-Control': 'private, no-cache' };
  if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  const seq = await loadSequence(id);
  if (!seq) return Response.json({ error: 'this clip has no stored poses' }, { status: 404 });
  const body = encodePoseSequence(seq);
  return new Response(body as Uint8Array<ArrayBuffer>, { headers: { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.byteLength) } });
}
