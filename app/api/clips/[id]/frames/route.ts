import { framesResponse } from '@/lib/frames/api';

export const dynamic = 'force-dynamic';

/** GET /api/clips/:id/frames?from=&to=&mesh=1 : per-frame pose JSON (lib/frames/api.ts). */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { status, body } = await framesResponse(id, new URL(req.url).searchParams);
  return Response.json(body, { status });
}
