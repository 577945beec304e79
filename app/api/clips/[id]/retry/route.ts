import { retryClip } from '@/lib/clips/service';
import { handle, json } from '@/lib/http/respond';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle('POST /api/clips/:id/retry', async () => json(await retryClip((await params).id)));
}
