import { clipEventStream, sseResponse } from '@/lib/clips/events';
import { getClipDoc } from '@/lib/clips/repo';
import { errorJson, handle } from '@/lib/http/respond';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle('GET /api/clips/:id/events', async () => {
    const { id } = await params;
    if (!(await getClipDoc(id))) return errorJson(404, 'No such clip.');
    return sseResponse(clipEventStream(id, request.signal));
  });
}
