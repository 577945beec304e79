import { deleteClip, getClipView } from '@/lib/clips/service';
import { errorJson, handle, json } from '@/lib/http/respond';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };

export function GET(_request: Request, { params }: Ctx) {
  return handle('GET /api/clips/:id', async () => {
    const clip = await getClipView((await params).id);
    return clip ? json(clip) : errorJson(404, 'No such clip.');
  });
}

export function DELETE(_request: Request, { params }: Ctx) {
  return handle('DELETE /api/clips/:id', async () => {
    const { id } = await params;
    await deleteClip(id);
    return json({ id, deleted: true });
  });
}
