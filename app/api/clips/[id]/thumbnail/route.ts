import { clipThumbnailFile } from '@/lib/clips/files';
import { errorJson, handle } from '@/lib/http/respond';
import { serveFile } from '@/lib/http/serve-file';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle('GET /api/clips/:id/thumbnail', async () => {
    const file = await clipThumbnailFile((await params).id);
    return file ? serveFile(request, file, 'image/jpeg') : errorJson(404, 'No thumbnail yet.');
  });
}
