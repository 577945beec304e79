import { framesResponse } from '@/lib/frames/api';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** GET /api/clips/:id/frames?from=&to=&mesh=1 : per-frame pose JSON (lib/frames/api.ts); owner, admin, share viewers. */
export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  const { status, body } = await framesResponse(clip._id.toHexString(), new URL(request.url).searchParams);
  return Response.json(body, { status, headers: { 'Cache-Control': 'private, no-store' } });
});
