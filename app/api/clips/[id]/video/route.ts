import { clipVideoFile } from '@/lib/clips/files';
import { errorJson } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { serveFile } from '@/lib/http/serve-file';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  const file = await clipVideoFile(clip._id.toHexString());
  return file ? serveFile(request, file.path, file.contentType) : errorJson(404, 'No such clip, or its video is not ready yet.');
});
