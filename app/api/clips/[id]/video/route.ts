import { clipVideoFile } from '@/lib/clips/files';
import { errorJson, handle } from '@/lib/http/respond';
import { serveFile } from '@/lib/http/serve-file';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle('GET /api/clips/:id/video', async () => {
    const file = await clipVideoFile((await params).id);
    return file ? serveFile(request, file.path, file.contentType) : errorJson(404, 'No such clip, or its video is not ready yet.');
  });
}
