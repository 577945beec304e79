import { acceptUpload } from '@/lib/clips/service';
import { listClips } from '@/lib/clips/repo';
import { handle, json } from '@/lib/http/respond';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request) {
  return handle('POST /api/clips', async () => {
    const clip = await acceptUpload(request);
    return json({ ...clip, id: clip.id, status: clip.status }, 201);
  });
}

export function GET() {
  return handle('GET /api/clips', async () => json({ clips: await listClips() }));
}
