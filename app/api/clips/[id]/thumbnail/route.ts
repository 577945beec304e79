import { clipThumbnailFile } from '@/lib/clips/files';
import { errorJson } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { serveFile } from '@/lib/http/serve-file';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  const file = await clipThumbnailFile(clip._id.toHexString());
  return file ? serveFile(request, file, 'image/jpeg') : errorJson(404, 'No thumbnail yet.');
});
